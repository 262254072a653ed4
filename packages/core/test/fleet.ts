import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CacheStats, GetOrSetOptions } from '../src/index.js';

const WORKER = fileURLToPath(new URL('./fixtures/fleet-worker.ts', import.meta.url));

/** What one caller in a worker got. */
export interface CallResult {
  value?: string;
  error?: string;
  ms: number;
}

/** A worker's answer to `run`. */
export interface RunResult {
  pid: number;
  results: CallResult[];
  stats: CacheStats;
}

/** Node processes, each with a Cache on one memcached, for the cross-process recompute tests. */
export class Fleet {
  readonly workers: ChildProcess[];
  /** Pids whose factory started, in order. */
  readonly factoryStarts: number[] = [];
  #onFactory: Array<() => void> = [];

  private constructor(workers: ChildProcess[]) {
    this.workers = workers;
    for (const worker of workers) {
      worker.on('message', (message: { event: string; pid: number }) => {
        if (message.event !== 'factory-start') return;
        this.factoryStarts.push(message.pid);
        for (const wake of this.#onFactory.splice(0)) wake();
      });
    }
  }

  /** Starts `count` workers on `servers` and waits until each is ready. */
  static async start(count: number, servers: string): Promise<Fleet> {
    const workers = Array.from({ length: count }, () =>
      fork(WORKER, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, FLEET_SERVERS: servers }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    await Promise.all(workers.map((worker) => nextMessage(worker, 'ready')));
    return new Fleet(workers);
  }

  /** Has `worker` run `callers` concurrent getOrSet calls of `key`; resolves with what they got. */
  run(worker: ChildProcess, command: { key: string; callers: number; factoryMs: number | 'gate' | 'never'; fails?: boolean; options: GetOrSetOptions<string> }): Promise<RunResult> {
    const done = nextMessage<RunResult>(worker, 'done');
    worker.send({ cmd: 'run', ...command });
    return done;
  }

  /** Resolves once `count` factories have started across the fleet. */
  async factoriesStarted(count: number): Promise<void> {
    while (this.factoryStarts.length < count) await new Promise<void>((resolve) => this.#onFactory.push(resolve));
  }

  /** Lets every gated factory return. */
  release(): void {
    for (const worker of this.workers) if (worker.connected) worker.send({ cmd: 'release' });
  }

  /** Stops the workers still running. */
  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (worker) => {
        if (worker.exitCode !== null || worker.signalCode !== null) return;
        const exited = new Promise((resolve) => worker.once('exit', resolve));
        worker.kill('SIGKILL');
        await exited;
      }),
    );
  }
}

function nextMessage<T>(worker: ChildProcess, event: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { event: string } & T) => {
      if (message.event !== event) return;
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null) => reject(new Error(`worker exited (${code ?? signal}) before "${event}"`));
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}
