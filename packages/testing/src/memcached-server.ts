import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { freePort } from './free-port.js';
import { makeSaslConfig, type SaslCredentials } from './sasl-db.js';
import { waitForPort } from './wait-for-port.js';

/** Options of a test memcached. */
export interface MemcachedServerOptions {
  /** Start with `-S` and this user in a fresh sasldb. */
  sasl?: SaslCredentials;
  /** memcached's `-I` item size limit, e.g. `'1m'` (default memcached's own, 1 MiB). */
  maxItemSize?: string;
  /** Memory in MiB (`-m`, default 64). */
  memoryMb?: number;
}

const HOST = '127.0.0.1';
const running = new Set<MemcachedServer>();

/**
 * A real memcached on a free loopback port, started for a test. It runs under a small shell
 * that kills it when the test process goes away, even by SIGKILL, so no run leaves one behind.
 */
export class MemcachedServer {
  /** Always 127.0.0.1. */
  readonly host = HOST;
  /** The port it listens on (kept across restarts). */
  readonly port: number;
  /** SASL credentials, when started with them. */
  readonly sasl: SaslCredentials | undefined;
  readonly #args: string[];
  readonly #env: NodeJS.ProcessEnv;
  #guard: ChildProcess | undefined;
  #pid: number | undefined;

  private constructor(port: number, args: string[], env: NodeJS.ProcessEnv, sasl: SaslCredentials | undefined) {
    this.port = port;
    this.#args = args;
    this.#env = env;
    this.sasl = sasl;
  }

  /** Starts a memcached and waits until it accepts connections. */
  static async start(options: MemcachedServerOptions = {}): Promise<MemcachedServer> {
    const port = await freePort();
    const args = ['-l', HOST, '-p', String(port), '-U', '0', '-t', '1', '-m', String(options.memoryMb ?? 64)];
    if (options.maxItemSize) args.push('-I', options.maxItemSize);
    if (process.getuid?.() === 0) args.push('-u', 'root');
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (options.sasl) {
      args.push('-S');
      env.SASL_CONF_PATH = makeSaslConfig(options.sasl);
    }
    const server = new MemcachedServer(port, args, env, options.sasl);
    await server.#spawn();
    return server;
  }

  /** `127.0.0.1:port`, the form a server list takes. */
  get address(): string {
    return `${HOST}:${this.port}`;
  }

  /** The memcached process id while it runs. */
  get pid(): number | undefined {
    return this.#pid;
  }

  /** Kills the memcached process at once (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    const guard = this.#guard;
    if (!guard || this.#pid === undefined) return;
    process.kill(this.#pid, 'SIGKILL');
    this.#pid = undefined;
    guard.stdin?.end();
    if (guard.exitCode === null) await once(guard, 'exit');
    this.#guard = undefined;
    running.delete(this);
  }

  /**
   * Freezes the memcached process (SIGSTOP): the kernel still accepts connections and buffers
   * requests, but nothing answers, as with a hung host or a network black hole.
   */
  pause(): void {
    if (this.#pid === undefined) return;
    process.kill(this.#pid, 'SIGSTOP');
    // kill() returns once the signal is queued; a busy machine may let memcached answer a few
    // more requests before it is stopped. Return only when the kernel says it is stopped.
    waitForState(this.#pid, 'T');
  }

  /** Lets a paused memcached run again (SIGCONT); it answers what was buffered, in order. */
  resume(): void {
    if (this.#pid !== undefined) process.kill(this.#pid, 'SIGCONT');
  }

  /** Starts memcached again on the same port, empty, as a restarted server is. */
  async restart(): Promise<void> {
    await this.kill();
    await this.#spawn();
  }

  /** Stops it for good. */
  stop(): Promise<void> {
    return this.kill();
  }

  async #spawn(): Promise<void> {
    // The shell starts memcached, prints its pid, and kills it when stdin closes.
    const script = 'memcached "$@" & echo $!; read _; kill -9 $! 2>/dev/null; wait';
    const guard = spawn('sh', ['-c', script, 'memcached', ...this.#args], { env: this.#env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    guard.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [firstLine] = (await once(guard.stdout!, 'data')) as [Buffer];
    this.#pid = Number(firstLine.toString().trim());
    this.#guard = guard;
    running.add(this);
    try {
      await waitForPort(HOST, this.port);
    } catch (error) {
      await this.kill();
      throw new Error(`memcached ${this.#args.join(' ')} did not start: ${stderr || (error as Error).message}`);
    }
  }
}

/** Stops every memcached this process started. */
export async function stopAllMemcached(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

process.on('exit', () => {
  for (const server of running) if (server.pid !== undefined) process.kill(server.pid, 'SIGKILL');
});

/** Waits (at most 2 s, synchronously: it takes microseconds to milliseconds) until `pid` is in `state`. */
function waitForState(pid: number, state: string): void {
  const until = Date.now() + 2000;
  while (Date.now() < until) {
    // /proc/<pid>/stat: "pid (comm) S ..."; the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === state) return;
  }
  throw new Error(`memcached ${pid} did not reach state ${state} within 2 s`);
}
