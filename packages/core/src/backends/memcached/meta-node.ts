import type { Socket } from 'node:net';
import { ClosedError, ConnectionError, LarderError, ServerError, TimeoutError } from '../../errors.js';
import { encodeMeta, isErrorLine, opaqueOf, parseMetaLine, toResponse, type MetaLine } from './meta-codec.js';
import type { NodeSettings } from './memcached-node.js';
import { openSocket } from './open-socket.js';
import { Op, type RequestSpec, type Response } from './protocol.js';
import { formatAddress } from './server-list.js';

/** Requests of one call: settled together, by their last answer, a failure or a timeout. */
interface Group {
  settled: boolean;
  readonly onAnswer: (slot: Slot, response: Response) => void;
  readonly fail: (error: LarderError) => void;
}

/** One command on the wire, waiting for its answer (a quiet mg may never get one). */
interface Slot {
  readonly spec: RequestSpec;
  readonly opaque: number;
  readonly quiet: boolean;
  readonly group: Group;
  readonly sentAt: number;
}

const MAX_OPAQUE = 0x7fffffff;
// A connection whose oldest request has waited this many timeouts is torn down (as memjs does
// on the binary path); a slow answer before that fails only its own request.
const TEARDOWN_FACTOR = 20;
const COALESCE_MAX_BYTES = 16 * 1024;
const MAX_LINE = 8 * 1024;

/**
 * One memcached server over the meta protocol (memcached 1.6+), on a connection Larder owns
 * (TCP, Unix socket or TLS). It takes the binary-form requests the backend builds and answers
 * in the binary form (see meta-codec.ts), so both protocols share one backend. Answers come in
 * order; each command carries an opaque (`O`) so a quiet mg's silence is told from its answer.
 * Every request settles within its budget; failures reject with typed errors naming the node.
 */
export class MetaNode {
  /** `host:port` as given (or the socket's path). */
  readonly address: string;
  readonly #settings: NodeSettings;
  #socket: Socket | undefined;
  #ready = false;
  #closed = false;
  #opaque = 0;
  /** Commands on the wire, oldest first. */
  #inFlight: Slot[] = [];
  #head = 0;
  /** Received bytes not yet parsed. */
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** The answer line of a VA whose data block is still arriving. */
  #value: { line: MetaLine; size: number } | undefined;
  #queued: Array<{ readonly frames: Buffer[]; readonly slots: Slot[]; readonly send: () => boolean }> | undefined;

  constructor(settings: NodeSettings) {
    this.#settings = settings;
    this.address = formatAddress(settings);
  }

  /** Sends one request; resolves with its response (any status), rejects on failure, within `budget` ms. */
  request(spec: RequestSpec, budget = this.#settings.timeout): Promise<Response> {
    return this.#send([spec], false, () => undefined, budget);
  }

  /** An `mn` for health checks: the connect timeout when the connection has to be set up first. */
  async ping(): Promise<void> {
    const s = this.#settings;
    await this.request({ opcode: Op.NOOP }, this.#ready ? s.timeout : s.connectTimeout);
  }

  /**
   * Sends requests followed by `mn` in one write. `onItem` sees every answer the server sends
   * (a quiet mg answers only on a hit); resolves when `MN` arrives, after all the others.
   */
  requestQuietBatch(specs: readonly RequestSpec[], onItem: (response: Response) => void, budget = this.#settings.timeout): Promise<void> {
    return this.#send(specs, true, onItem, budget).then(() => undefined);
  }

  /** Closes the connection for good. */
  close(): void {
    this.#closed = true;
    this.#teardown(new ClosedError(`memcached node ${this.address}`));
  }

  #send(specs: readonly RequestSpec[], batch: boolean, onItem: (response: Response) => void, budget: number): Promise<Response> {
    if (this.#closed) return Promise.reject(new ClosedError(`memcached node ${this.address}`));
    const all = batch ? [...specs, { opcode: Op.NOOP }] : specs;
    return new Promise<Response>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let left = all.length;
      const group: Group = {
        settled: false,
        onAnswer: (slot, response) => {
          if (group.settled) return;
          if (batch && slot.spec.opcode !== Op.NOOP) {
            onItem(response);
            return;
          }
          if (!batch && --left > 0) return;
          group.settled = true;
          clearTimeout(timer);
          resolve(response);
        },
        fail: (error) => {
          if (group.settled) return;
          group.settled = true;
          clearTimeout(timer);
          reject(error);
        },
      };
      const frames: Buffer[] = [];
      const slots: Slot[] = [];
      const now = performance.now();
      for (const spec of all) {
        const opaque = this.#nextOpaque();
        const command = encodeMeta(spec, opaque);
        frames.push(command.frame);
        slots.push({ spec, opaque, quiet: command.quiet, group, sentAt: now });
      }
      this.#write(frames, slots, () => {
        if (group.settled) return false;
        timer = setTimeout(() => {
          // As on the binary path: let one round of I/O run first, an answer may sit unread.
          setImmediate(() => {
            if (group.settled) return;
            group.fail(new TimeoutError(this.address, budget));
            this.#checkStuck();
          });
        }, budget);
        return true;
      });
    });
  }

  // Requests of one turn of the event loop go out together at its end, as on the binary path.
  #write(frames: Buffer[], slots: Slot[], send: () => boolean): void {
    if (this.#queued !== undefined) {
      this.#queued.push({ frames, slots, send });
      return;
    }
    this.#queued = [{ frames, slots, send }];
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    const queued = this.#queued ?? [];
    this.#queued = undefined;
    if (this.#closed) return;
    const socket = this.#connection();
    let small: Buffer[] = [];
    let smallBytes = 0;
    const writeSmall = () => {
      if (small.length > 0) socket.write(small.length === 1 ? small[0]! : Buffer.concat(small, smallBytes));
      small = [];
      smallBytes = 0;
    };
    for (const { frames, slots, send } of queued) {
      if (!send()) continue;
      for (const slot of slots) this.#inFlight.push(slot);
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

  /** The open connection, or a new one (writes made before it is up wait in Node's socket). */
  #connection(): Socket {
    if (this.#socket && !this.#socket.destroyed && !this.#socket.writableEnded) return this.#socket;
    if (this.#socket) this.#teardown(new ConnectionError(this.address, 'connection closed by the server'));
    const s = this.#settings;
    this.#ready = false;
    const socket = openSocket(
      { host: s.host, port: s.port, tls: s.tls, address: this.address },
      () => {
        if (this.#socket !== socket) return;
        this.#ready = true;
        socket.setTimeout(0);
      },
      (error) => {
        if (this.#socket === socket) this.#teardown(this.#typed(error));
      },
    );
    this.#socket = socket;
    socket.setNoDelay(true);
    if (s.keepAlive) socket.setKeepAlive(true, 30_000);
    socket.setTimeout(s.connectTimeout, () => {
      if (this.#socket === socket && !this.#ready) this.#teardown(new TimeoutError(this.address, s.connectTimeout));
    });
    socket.on('data', (data: Buffer) => {
      if (this.#socket !== socket) return;
      try {
        this.#receive(data);
      } catch (cause) {
        this.#teardown(new ConnectionError(this.address, `unreadable answer (${(cause as Error).message})`, { cause }));
      }
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.#teardown(new ConnectionError(this.address, 'connection closed by the server'));
    });
    return socket;
  }

  /** Fails everything on the wire and drops the connection; the next request connects again. */
  #teardown(error: LarderError): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#ready = false;
    socket?.destroy();
    const slots = this.#inFlight.slice(this.#head);
    this.#inFlight = [];
    this.#head = 0;
    this.#chunks = [];
    this.#buffered = 0;
    this.#value = undefined;
    for (const slot of slots) slot.group.fail(error);
  }

  /** A server that has not answered the oldest request for many timeouts is given up on. */
  #checkStuck(): void {
    const oldest = this.#inFlight[this.#head];
    const limit = TEARDOWN_FACTOR * Math.max(this.#settings.timeout, this.#settings.connectTimeout);
    if (oldest && performance.now() - oldest.sentAt > limit) this.#teardown(new TimeoutError(this.address, limit));
  }

  #receive(data: Buffer): void {
    this.#chunks.push(data);
    this.#buffered += data.length;
    for (;;) {
      if (this.#value) {
        const { line, size } = this.#value;
        if (this.#buffered < size + 2) return;
        const block = this.#take(size + 2);
        this.#value = undefined;
        this.#answer(line, block.subarray(0, size));
        continue;
      }
      const text = this.#line();
      if (text === undefined) return;
      const line = parseMetaLine(text);
      if (line.code === 'VA') {
        const size = Number(line.tokens[0]);
        if (!Number.isSafeInteger(size) || size < 0) return this.#teardown(new ConnectionError(this.address, `unreadable answer "${text.slice(0, 80)}"`));
        this.#value = { line, size };
        continue;
      }
      this.#answer(line, undefined);
    }
  }

  /** The next answer line, without its CRLF, once complete. */
  #line(): string | undefined {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#buffered)];
    const buffer = this.#chunks[0];
    if (!buffer) return undefined;
    const end = buffer.indexOf('\r\n');
    if (end < 0) {
      if (buffer.length > MAX_LINE) this.#teardown(new ConnectionError(this.address, 'answer line too long'));
      return undefined;
    }
    const text = buffer.toString('latin1', 0, end);
    this.#take(end + 2);
    return text;
  }

  #take(length: number): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#buffered)];
    const buffer = this.#chunks[0]!;
    const taken = buffer.subarray(0, length);
    const rest = buffer.subarray(length);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered -= length;
    return taken;
  }

  /** Hands an answer to the command it answers: quiet ones before it stayed silent. */
  #answer(line: MetaLine, data: Buffer | undefined): void {
    const opaque = opaqueOf(line);
    const error = isErrorLine(line);
    for (let i = this.#head; i < this.#inFlight.length; i++) {
      const slot = this.#inFlight[i]!;
      const matches =
        line.code === 'MN' ? slot.spec.opcode === Op.NOOP
        : opaque !== undefined ? slot.opaque === opaque
        : !slot.quiet; // error lines and flush_all's OK carry no opaque: the first command that must answer
      if (!matches) {
        if (!slot.quiet) break;
        continue;
      }
      // An error for a quiet mg ends up at its batch's mn: fail the batch, and keep the mn for its MN.
      if (error && slot.spec.opcode === Op.NOOP) {
        slot.group.fail(new ServerError(this.address, 0x84, line.rest || line.code));
        this.#head = i;
        this.#compact();
        return;
      }
      this.#head = i + 1;
      this.#compact();
      slot.group.onAnswer(slot, toResponse(slot.spec, line, data, slot.opaque));
      return;
    }
    this.#teardown(new ConnectionError(this.address, `answer "${line.code}" matches no request`));
  }

  #compact(): void {
    if (this.#head === this.#inFlight.length) {
      this.#inFlight = [];
      this.#head = 0;
    } else if (this.#head > 1024) {
      this.#inFlight = this.#inFlight.slice(this.#head);
      this.#head = 0;
    }
  }

  #nextOpaque(): number {
    this.#opaque = this.#opaque >= MAX_OPAQUE ? 1 : this.#opaque + 1;
    return this.#opaque;
  }

  #typed(error: unknown): LarderError {
    if (error instanceof LarderError) return error;
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: string } | null)?.code;
    return new ConnectionError(this.address, code ? `${code} (${message})` : message, { cause: error });
  }
}
