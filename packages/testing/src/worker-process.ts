import { fork, type ChildProcess } from 'node:child_process';

/**
 * A child process running a TypeScript worker (under tsx) that answers commands over IPC: the
 * parent sends `{ id, op, ...fields }`, the worker sends `{ id, result }` back, and `{ id: 0 }`
 * once it is ready. The fleet tests (several processes on one memcached) drive their workers so.
 */
export class WorkerProcess {
  #next = 1;
  readonly #waiting = new Map<number, (result: unknown) => void>();
  private constructor(readonly child: ChildProcess) {
    child.on('message', ({ id, result }: { id: number; result: unknown }) => {
      this.#waiting.get(id)?.(result);
      this.#waiting.delete(id);
    });
  }

  /** Forks `script` with `env` added to this process's environment; resolves once it says it is ready. */
  static async start(script: string, env: Readonly<Record<string, string>>): Promise<WorkerProcess> {
    const child = fork(script, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const started = new WorkerProcess(child);
    await new Promise<void>((resolve) => started.#waiting.set(0, () => resolve()));
    return started;
  }

  /** Sends one command; resolves with the worker's result for it. */
  ask<T = unknown>(op: string, fields: Readonly<Record<string, unknown>> = {}): Promise<T> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve as (result: unknown) => void);
      this.child.send({ id, op, ...fields });
    });
  }

  /** Kills the worker (SIGKILL) and resolves once it has exited. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Polls `read` every 5 ms until it gives `expected`; the ms from `since` (a `performance.now()`)
 * to the first read that did. Throws once `limitMs` has passed without it.
 */
export async function msUntil(since: number, read: () => Promise<unknown>, expected: unknown, limitMs: number): Promise<number> {
  for (;;) {
    const got = await read();
    if (got === expected) return performance.now() - since;
    if (performance.now() - since > limitMs) throw new Error(`still ${JSON.stringify(got)} after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
