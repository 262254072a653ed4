import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { metaTtl } from './meta-ttl.js';
import { serverStats } from './server-stats.js';
import { makeSaslConfig, type SaslCredentials } from './sasl-db.js';
import { makeTestCertificates, type TestCertificates } from './tls-certificates.js';
import { waitForPath, waitForPort } from './wait-for-port.js';

/** Options of a test memcached. */
export interface MemcachedServerOptions {
  /** Start with `-S` and this user in a fresh sasldb. */
  sasl?: SaslCredentials;
  /** memcached's `-I` item size limit, e.g. `'1m'` (default memcached's own, 1 MiB). */
  maxItemSize?: string;
  /** Memory in MiB (`-m`, default 64). */
  memoryMb?: number;
  /**
   * Start with TLS (`-Z`) and a certificate from a CA made for this server (see `certificates`);
   * `verifyClients` also asks clients for a certificate from that CA (`ssl_verify_mode=3`).
   */
  tls?: boolean | { verifyClients?: boolean };
  /** Listen on a Unix domain socket in a fresh temp dir (`-s`) instead of a TCP port. */
  unixSocket?: boolean;
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
  /** The port it listens on (kept across restarts); 0 on a Unix socket. */
  readonly port: number;
  /** SASL credentials, when started with them. */
  readonly sasl: SaslCredentials | undefined;
  /** The CA and certificates, when started with TLS; pass `certificates.ca` as the client's `tls.ca`. */
  readonly certificates: TestCertificates | undefined;
  /** The Unix socket's path, when started on one. */
  readonly socketPath: string | undefined;
  readonly #args: string[];
  readonly #env: NodeJS.ProcessEnv;
  #guard: ChildProcess | undefined;
  #pid: number | undefined;

  private constructor(port: number, args: string[], env: NodeJS.ProcessEnv, extra: { sasl?: SaslCredentials | undefined; certificates?: TestCertificates; socketPath?: string }) {
    this.port = port;
    this.#args = args;
    this.#env = env;
    this.sasl = extra.sasl;
    this.certificates = extra.certificates;
    this.socketPath = extra.socketPath;
  }

  /** Starts a memcached and waits until it accepts connections. */
  static async start(options: MemcachedServerOptions = {}): Promise<MemcachedServer> {
    const socketPath = options.unixSocket ? join(mkdtempSync(join(tmpdir(), 'larder-sock-')), 'memcached.sock') : undefined;
    const port = socketPath === undefined ? await freePort() : 0;
    const listen = socketPath === undefined ? ['-l', HOST, '-p', String(port), '-U', '0'] : ['-s', socketPath, '-a', '700'];
    const args = [...listen, '-t', '1', '-m', String(options.memoryMb ?? 64)];
    if (options.maxItemSize) args.push('-I', options.maxItemSize);
    if (process.getuid?.() === 0) args.push('-u', 'root');
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (options.sasl) {
      args.push('-S');
      env.SASL_CONF_PATH = makeSaslConfig(options.sasl);
    }
    let certificates: TestCertificates | undefined;
    if (options.tls) {
      certificates = makeTestCertificates();
      const ssl = [`ssl_chain_cert=${certificates.certFile}`, `ssl_key=${certificates.keyFile}`];
      if (typeof options.tls === 'object' && options.tls.verifyClients) ssl.push(`ssl_ca_cert=${certificates.caFile}`, 'ssl_verify_mode=3');
      args.push('-Z', '-o', ssl.join(','));
    }
    const server = new MemcachedServer(port, args, env, { sasl: options.sasl, ...(certificates ? { certificates } : {}), ...(socketPath ? { socketPath } : {}) });
    await server.#spawn();
    return server;
  }

  /** `127.0.0.1:port`, the form a server list takes; the socket's path on a Unix socket. */
  get address(): string {
    return this.socketPath ?? `${HOST}:${this.port}`;
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

  /** memcached's own counters (`stats`), e.g. `cmd_get`: what the server was asked, whoever asked (TCP servers only). */
  stats(): Promise<Record<string, string>> {
    return serverStats(this.host, this.port);
  }

  /** The ttl left on `key` in whole seconds, as memcached itself tells it (`mg <key> t`); undefined when absent (see metaTtl). */
  remainingTtl(key: string): Promise<number | undefined> {
    return metaTtl(this.host, this.port, key);
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
      if (this.socketPath !== undefined) await waitForPath(this.socketPath);
      else await waitForPort(HOST, this.port);
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
