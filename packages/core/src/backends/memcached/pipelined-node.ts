import type { Socket } from 'node:net';
import { ClosedError, ConnectionError, LarderError, TimeoutError } from '../../errors.js';
import { ByteQueue } from './byte-queue.js';
import { DeadlineTimer } from './deadline-timer.js';
import type { NodeSettings } from './node-settings.js';
import { openSocket } from './open-socket.js';
import { Op, type RequestSpec, type Response } from './protocol.js';
import type { ProtocolNode } from './protocol-node.js';
import { formatAddress } from './server-list.js';
import type { Call, WaitingRequests } from './waiting-requests.js';

/** A call and its frames, waiting for the end of this turn of the event loop. */
interface Queued {
  readonly call: Call;
  readonly frames: readonly Buffer[];
}

const NOOP: RequestSpec = { opcode: Op.NOOP };
const MAX_OPAQUE = 0x7fffffff;
// A connection whose oldest request has waited this many timeouts is torn down; a slow answer
// before that fails only its own request.
const TEARDOWN_FACTOR = 20;
// Requests up to this size are joined into one socket write with the others of the same turn.
const COALESCE_MAX_BYTES = 16 * 1024;

/**
 * One memcached server on a connection Larder owns (TCP, Unix socket or TLS), whatever the wire
 * protocol: requests of one turn of the event loop go out in one write, and answers are matched
 * to their requests as the protocol says (`waiting`). Every call settles within its budget,
 * kept by one timer per node rather than one per request; failures reject with typed errors
 * naming the node. A subclass encodes requests
 * (`encode`), keeps calls waiting as its protocol matches answers (`waiting`), parses answers
 * (`parse`, from `bytes`) and may greet a new connection (`greet`, e.g. to authenticate).
 */
export abstract class PipelinedNode implements ProtocolNode {
  /** `host:port` as given (or the socket's path). */
  readonly address: string;
  protected readonly settings: NodeSettings;
  /** Received bytes not yet parsed. */
  protected readonly bytes = new ByteQueue();
  #socket: Socket | undefined;
  #ready = false;
  #closed = false;
  #opaque = 0;
  #queued: Queued[] | undefined;
  readonly #deadlines = new DeadlineTimer(() => this.#expire());

  constructor(settings: NodeSettings) {
    this.settings = settings;
    this.address = formatAddress(settings);
  }

  /** Sends one request; resolves with its response (any status), rejects on failure, within `budget` ms. */
  request(spec: RequestSpec, budget = this.settings.timeout): Promise<Response> {
    return this.#send([spec], false, ignore, budget);
  }

  /** A no-op round trip for health checks: the connect timeout when the connection has to be set up first. */
  async ping(): Promise<void> {
    const s = this.settings;
    await this.request(NOOP, this.#ready ? s.timeout : s.connectTimeout);
  }

  /**
   * Sends requests followed by a no-op in one write. `onItem` sees every answer the server sends
   * (a quiet get answers only on a hit) with the index of the request it answers; resolves when the no-op's arrives, after all the others.
   */
  requestQuietBatch(specs: readonly RequestSpec[], onItem: (response: Response, index: number) => void, budget = this.settings.timeout): Promise<void> {
    return this.#send([...specs, NOOP], true, onItem, budget).then(ignore);
  }

  /** Closes the connection for good. */
  close(): void {
    this.#closed = true;
    this.#deadlines.stop();
    this.teardown(new ClosedError(`memcached node ${this.address}`));
  }

  /** The frames that carry `specs`, the first with opaque `firstOpaque`, the next with the one after, and so on. */
  protected abstract encode(specs: readonly RequestSpec[], firstOpaque: number): Buffer[];
  /** The requests on the wire, waiting for their answers. */
  protected abstract readonly waiting: WaitingRequests;
  /** Reads complete answers from `bytes` and hands each to the call of the request it answers. */
  protected abstract parse(): void;
  /** Forgets a half-read answer; the connection is gone. */
  protected abstract reset(): void;

  /** Writes what a new connection needs before any request; true when `ready()` must then be awaited. */
  protected greet(_socket: Socket): boolean {
    return false;
  }

  /** The connection can carry requests (it connected, and authenticated if it had to). */
  protected ready(): void {
    this.#ready = true;
    this.#socket?.setTimeout(0);
  }

  /** Fails everything on the wire and drops the connection; the next request connects again. */
  protected teardown(error: LarderError): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#ready = false;
    socket?.destroy();
    const calls = this.waiting.drain();
    this.bytes.clear();
    this.reset();
    for (const call of calls) call.fail(error);
  }

  #send(specs: readonly RequestSpec[], batch: boolean, onItem: (response: Response, index: number) => void, budget: number): Promise<Response> {
    if (this.#closed) return Promise.reject(new ClosedError(`memcached node ${this.address}`));
    const firstOpaque = this.#takeOpaques(specs.length);
    return new Promise<Response>((resolve, reject) => {
      const last = specs.length - 1;
      const call: Call = {
        specs,
        firstOpaque,
        budget,
        settled: false,
        sentAt: 0,
        deadline: Infinity,
        answer: (index, response) => {
          if (call.settled) return;
          if (batch && index < last) {
            onItem(response, index);
            return;
          }
          call.settled = true;
          resolve(response);
        },
        fail: (error) => {
          if (call.settled) return;
          call.settled = true;
          reject(error);
        },
      };
      this.#enqueue({ call, frames: this.encode(specs, firstOpaque) });
    });
  }

  #takeOpaques(count: number): number {
    if (this.#opaque + count > MAX_OPAQUE) this.#opaque = 0;
    const first = this.#opaque + 1;
    this.#opaque += count;
    return first;
  }

  // Calls made during one turn of the event loop (the concurrent requests of every caller) go
  // out together at its end: small frames in one socket write instead of one system call each
  // (memcached then reads them in one go too), large ones (chunks of big values) as they are,
  // never copied.
  #enqueue(queued: Queued): void {
    if (this.#queued !== undefined) {
      this.#queued.push(queued);
      return;
    }
    this.#queued = [queued];
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    const queued = this.#queued ?? [];
    this.#queued = undefined;
    if (this.#closed) {
      for (const { call } of queued) call.fail(new ClosedError(`memcached node ${this.address}`));
      return;
    }
    let socket: Socket;
    try {
      socket = this.#connection();
    } catch (error) {
      // Node refuses some connection settings only when connecting (TLS material it cannot read):
      // the calls fail with it, typed, instead of an exception nobody can catch.
      const typed = this.#typed(error);
      for (const { call } of queued) call.fail(typed);
      return;
    }
    const now = performance.now();
    let small: Buffer[] = [];
    let smallBytes = 0;
    const writeSmall = () => {
      if (small.length > 0) socket.write(small.length === 1 ? small[0]! : Buffer.concat(small, smallBytes));
      small = [];
      smallBytes = 0;
    };
    for (const { call, frames } of queued) {
      if (call.settled) continue;
      // The budget runs from here, so an event loop stalled between the call and the end of its
      // turn does not eat the budget of a request not yet sent.
      call.sentAt = now;
      call.deadline = now + call.budget;
      this.#deadlines.arm(call.deadline);
      this.waiting.add(call);
      for (const frame of frames) {
        if (frame.length <= COALESCE_MAX_BYTES) {
          small.push(frame);
          smallBytes += frame.length;
          continue;
        }
        writeSmall();
        socket.write(frame);
      }
    }
    writeSmall();
  }

  /** Fails the calls whose deadline passed, gives up on a stuck server, and waits for the next deadline. */
  #expire(): void {
    const now = performance.now();
    let next = Infinity;
    for (const call of this.waiting.all()) {
      if (call.settled) continue;
      if (call.deadline <= now) call.fail(new TimeoutError(this.address, call.budget));
      else if (call.deadline < next) next = call.deadline;
    }
    const oldest = this.waiting.oldest();
    const limit = TEARDOWN_FACTOR * Math.max(this.settings.timeout, this.settings.connectTimeout);
    if (oldest && now - oldest.sentAt > limit) this.teardown(new TimeoutError(this.address, limit));
    else if (next !== Infinity && !this.#closed) this.#deadlines.arm(next);
  }

  /** The open connection, or a new one (writes made before it is up wait in Node's socket). */
  #connection(): Socket {
    if (this.#socket && !this.#socket.destroyed && !this.#socket.writableEnded) return this.#socket;
    // The server closed the connection and Node has destroyed the socket before its 'close'
    // event: what was on the wire is lost. Fail it now; the new connection carries the rest.
    if (this.#socket) this.teardown(new ConnectionError(this.address, 'connection closed by the server'));
    const s = this.settings;
    this.#ready = false;
    let greeting = false;
    const socket = openSocket(
      { host: s.host, port: s.port, tls: s.tls, address: this.address },
      () => {
        if (this.#socket === socket && !greeting) this.ready();
      },
      (error) => {
        if (this.#socket === socket) this.teardown(this.#typed(error));
      },
    );
    this.#socket = socket;
    socket.setNoDelay(true);
    if (s.keepAlive) socket.setKeepAlive(true, 30_000);
    socket.setTimeout(s.connectTimeout, () => {
      if (this.#socket === socket && !this.#ready) this.teardown(new TimeoutError(this.address, s.connectTimeout));
    });
    socket.on('data', (data: Buffer) => {
      if (this.#socket !== socket) return;
      this.bytes.push(data);
      try {
        this.parse();
      } catch (cause) {
        this.teardown(cause instanceof LarderError ? cause : new ConnectionError(this.address, `unreadable answer (${(cause as Error).message})`, { cause }));
      }
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.teardown(new ConnectionError(this.address, 'connection closed by the server'));
    });
    greeting = this.greet(socket);
    return socket;
  }

  #typed(error: unknown): LarderError {
    if (error instanceof LarderError) return error;
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: string } | null)?.code;
    return new ConnectionError(this.address, code ? `${code} (${message})` : message, { cause: error });
  }
}

function ignore(): void {}
