import { createRequire } from 'node:module';
import type * as Memjs from 'memjs';
import { AuthError, ClosedError, ConnectionError, LarderError, TimeoutError } from '../../errors.js';
import type { ConnectionOptions } from 'node:tls';
import { memjsServerClass } from './memjs-server.js';
import { encodeRequests, type RequestSpec, type Response } from './protocol.js';
import { formatAddress } from './server-list.js';

/** Connection settings of one node, resolved by the backend. */
export interface NodeSettings {
  /** Host name or address; a Unix socket's path when `port` is 0. */
  readonly host: string;
  /** TCP port; 0 for a Unix domain socket. */
  readonly port: number;
  /** TLS options, or undefined for a plain connection. */
  readonly tls: ConnectionOptions | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Milliseconds any request may take, connecting included. */
  readonly timeout: number;
  /** Milliseconds `connect()` and background probes may take to connect, authenticate and answer. */
  readonly connectTimeout: number;
  /** TCP keep-alive on the connection. */
  readonly keepAlive: boolean;
}

type QuietCallback = ((response: Response) => void) & { quiet?: boolean };

let memjs: typeof Memjs | undefined;

// memjs (a CommonJS package) is required on the first MemcachedNode rather than imported at the
// top, so an app that only ever uses the memory backend never loads it, even through the root
// export of @larder/core that still re-exports MemcachedBackend.
function loadMemjs(): typeof Memjs {
  memjs ??= createRequire(import.meta.url)('memjs') as typeof Memjs;
  return memjs;
}

const MAX_OPAQUE = 0xffffffff;
// memjs tears the whole socket down when any request outlives its own timer, failing every
// request in flight. Larder times each request itself (background ones get connectTimeout)
// and gives memjs a much longer timer, so one slow answer fails only its own request.
const MEMJS_TIMEOUT_FACTOR = 20;
// Requests up to this size are joined into one socket write with the others of the same turn.
const COALESCE_MAX_BYTES = 16 * 1024;

/**
 * One memcached server: a memjs `Server` (socket, SASL PLAIN, framing, dispatch by opaque)
 * driven with requests Larder encodes itself, so CAS, flags and quiet gets are available.
 * Every request settles within its timeout; failures reject with typed errors naming the node.
 */
export class MemcachedNode {
  /** `host:port` as given. */
  readonly address: string;
  readonly #settings: NodeSettings;
  #server: Memjs.Server;
  /** Requests waiting for the end of this turn of the event loop, to be written together (see #write). */
  #queued: Array<{ readonly frame: Buffer; readonly send: () => boolean }> | undefined;
  #opaque = 0;
  #closed = false;

  constructor(settings: NodeSettings) {
    this.#settings = settings;
    this.address = formatAddress(settings);
    this.#server = this.#newServer();
  }

  /**
   * Sends one request; resolves with its response (any status), rejects on failure. It settles
   * within `budget` ms (default: the timeout), even while the connection is still being set up.
   */
  request(spec: RequestSpec, budget = this.#settings.timeout): Promise<Response> {
    return this.#send([spec], false, () => undefined, budget);
  }

  /**
   * A NOOP for health checks, off any caller's path: it may take the connect timeout when the
   * connection has to be set up first, the plain timeout on an open one.
   */
  async ping(): Promise<void> {
    const s = this.#settings;
    // memjs turns an auth-error status (memcached -S, no or wrong credentials) into a failure.
    await this.request({ opcode: 0x0a }, this.#server.connected ? s.timeout : s.connectTimeout);
  }

  /**
   * Sends quiet requests followed by a NOOP in one write, all under one opaque. `onItem` sees
   * every response the server chooses to send (quiet ones only on hits or errors); resolves
   * when the NOOP's answer arrives, which memcached sends after all the others.
   */
  requestQuietBatch(specs: readonly RequestSpec[], onItem: (response: Response) => void, budget = this.#settings.timeout): Promise<void> {
    return this.#send(specs, true, onItem, budget).then(() => undefined);
  }

  /** Closes the connection for good. */
  close(): void {
    this.#closed = true;
    this.#server.close();
    this.#server.error(new Error('closed'));
  }

  #send(specs: readonly RequestSpec[], quiet: boolean, onItem: (response: Response) => void, budget: number): Promise<Response> {
    if (this.#closed) return Promise.reject(new ClosedError(`memcached node ${this.address}`));
    const server = this.#server;
    const opaque = this.#nextOpaque();
    const all = quiet ? [...specs, { opcode: 0x0a }] : specs;
    const frame = encodeRequests(all, opaque);
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      // Started when the request goes out (see #write), so an event loop stalled between the
      // call and the end of its turn does not eat the budget of a request not yet sent.
      const startTimer = () => {
        timer = setTimeout(() => {
          // Timers run before the poll phase: after the event loop was blocked (a GC pause, a
          // synchronous handler), the answer may already sit in the socket, unread. Let one round
          // of I/O run before calling it a timeout; an answer that arrived is not a failure.
          setImmediate(() => {
            if (settled) return;
            settled = true;
            server.onResponse(opaque, ignore);
            server.onError(opaque, ignore);
            reject(new TimeoutError(this.address, budget));
          });
        }, budget);
      };
      const onResponse: QuietCallback = (response) => {
        if (settled) return;
        if (quiet && response.header.opcode !== 0x0a) {
          onItem(response);
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve(response);
      };
      if (quiet) onResponse.quiet = true;
      server.onResponse(opaque, onResponse);
      server.onError(opaque, (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(this.#toTypedError(error));
      });
      this.#write(frame, () => {
        if (settled) return false;
        startTimer();
        return true;
      });
    });
  }

  // Requests made during one turn of the event loop (the concurrent requests of every caller)
  // go out together at its end: small ones in one socket write instead of one system call each
  // (memcached then reads them in one go too), large ones (chunks of big values) as they are,
  // never copied. `send` is called as a request goes out: false when it settled meanwhile (its
  // connection failed, the node was closed), which is then not sent.
  #write(frame: Buffer, send: () => boolean): void {
    if (this.#queued !== undefined) {
      this.#queued.push({ frame, send });
      return;
    }
    this.#queued = [{ frame, send }];
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    const queued = this.#queued ?? [];
    this.#queued = undefined;
    // The server closed the connection and Node has destroyed the socket, but memjs learns it
    // only from the 'close' event, which comes after this (check-phase) callback: a write now
    // would vanish without an error and its requests time out. Fail them as a closed
    // connection instead; the next request connects again.
    const socket = (this.#server as unknown as { _socket?: { destroyed: boolean; writableEnded: boolean } })._socket;
    if (socket !== undefined && (socket.destroyed || socket.writableEnded)) this.#server.error(new Error('connection closed by the server'));
    let small: Buffer[] = [];
    const writeSmall = () => {
      if (small.length > 0) this.#server.write(small.length === 1 ? small[0]! : Buffer.concat(small));
      small = [];
    };
    for (const { frame, send } of queued) {
      if (this.#closed) return;
      if (!send()) continue;
      if (frame.length <= COALESCE_MAX_BYTES) {
        small.push(frame);
        continue;
      }
      writeSmall();
      this.#server.write(frame);
    }
    writeSmall();
  }

  #nextOpaque(): number {
    this.#opaque = this.#opaque >= MAX_OPAQUE ? 1 : this.#opaque + 1;
    return this.#opaque;
  }

  #toTypedError(error: unknown): LarderError {
    if (error instanceof LarderError) return error;
    const message = error instanceof Error ? error.message : String(error);
    // memjs reports a SASL refusal as a bare string.
    if (/authentication failed/i.test(message)) return new AuthError(this.address, { cause: error });
    // memjs gave up connecting (or authenticating) after connectTimeout.
    if (/timed out connecting/i.test(message)) return new TimeoutError(this.address, this.#settings.connectTimeout);
    const code = (error as { code?: string } | null)?.code;
    return new ConnectionError(this.address, code ? `${code} (${message})` : message, { cause: error });
  }

  #newServer(): Memjs.Server {
    const s = this.#settings;
    const server = new (memjsServerClass(loadMemjs()))(s.host, s.port, s.username, s.password, {
      timeout: (Math.max(s.timeout, s.connectTimeout) * MEMJS_TIMEOUT_FACTOR) / 1000,
      conntimeout: s.connectTimeout / 1000,
      keepAlive: s.keepAlive,
    });
    // memjs falls back to MEMCACHIER_* environment credentials when none are given; Larder
    // resolves credentials itself (cacheFromEnv), so "none" must stay none.
    const writable = server as unknown as { username: string | undefined; password: string | undefined; target: unknown };
    writable.username = s.username;
    writable.password = s.password;
    writable.target = { host: s.host, port: s.port, tls: s.tls, address: this.address };
    return server;
  }
}

function ignore(): void {}
