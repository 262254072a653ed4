import type { Socket } from 'node:net';
import { AuthError, ConnectionError } from '../../errors.js';
import { KeyedWaiting } from './keyed-waiting.js';
import { PipelinedNode } from './pipelined-node.js';
import { BinaryResponse } from './binary-response.js';
import { encodeRequests, HEADER_LENGTH, MAX_ANSWER_BYTES, Status, type RequestSpec } from './protocol.js';

const RESPONSE_MAGIC = 0x81;
const SASL_AUTH = 0x21;
const UNKNOWN_COMMAND = 0x81;

/**
 * One memcached server over the binary protocol, with SASL PLAIN when credentials are given
 * (MemCachier, memcached -S). Frames are encoded by protocol.ts; answers are read here straight
 * from the received bytes, copied only when one arrived split across socket reads.
 */
export class BinaryNode extends PipelinedNode {
  protected readonly waiting = new KeyedWaiting();

  protected encode(specs: readonly RequestSpec[], firstOpaque: number): Buffer[] {
    return [encodeRequests(specs, firstOpaque)];
  }

  protected reset(): void {}

  /** With credentials, a SASL PLAIN authentication goes first; requests written after it wait behind it on the wire. */
  protected override greet(socket: Socket): boolean {
    const { username, password } = this.settings;
    if (!username || !password) return false;
    socket.write(encodeRequests([{ opcode: SASL_AUTH, key: 'PLAIN', value: Buffer.from(`\0${username}\0${password}`, 'utf8') }], 0));
    return true;
  }

  protected parse(): void {
    const bytes = this.bytes;
    while (bytes.size >= HEADER_LENGTH) {
      let buffer = bytes.front(HEADER_LENGTH);
      let at = bytes.offset;
      if (buffer[at] !== RESPONSE_MAGIC) throw this.#unreadable(`magic byte 0x${buffer[at]!.toString(16)}`);
      const body = buffer.readUInt32BE(at + 8);
      const length = HEADER_LENGTH + body;
      if (length > MAX_ANSWER_BYTES) throw this.#unreadable(`frame of ${length} bytes`);
      // Extras and key lie inside the body: past it they would be read from the next answer.
      if (buffer[at + 4]! + buffer.readUInt16BE(at + 2) > body) throw this.#unreadable('extras and key longer than the body');
      if (bytes.size < length) return;
      buffer = bytes.front(length);
      at = bytes.offset;
      // Past it first: what the answer sets off (a teardown) may empty the queue; the bytes stay.
      bytes.skip(length);
      this.#answer(new BinaryResponse(buffer, at, length));
    }
  }

  #answer(response: BinaryResponse): void {
    const { opcode, status, opaque } = response;
    if (status === Status.AUTH_ERROR) {
      this.teardown(new AuthError(this.address, { cause: new Error(response.val.toString('utf8')) }));
      return;
    }
    if (opcode === SASL_AUTH) {
      // A server without SASL (unknown command) needs no authentication: requests go through, as with memjs.
      if (status === Status.OK || status === UNKNOWN_COMMAND) this.ready();
      else this.teardown(new ConnectionError(this.address, `SASL authentication answered status 0x${status.toString(16)}`));
      return;
    }
    // A late answer finds its timed-out call, which ignores it; one no call waits for (a second
    // answer, an opaque never sent) is passed over: binary frames are self-delimiting.
    const call = this.waiting.claim(opaque);
    if (call !== undefined) call.answer(opaque - call.firstOpaque, response);
  }

  #unreadable(what: string): ConnectionError {
    return new ConnectionError(this.address, `unreadable answer (${what})`);
  }
}
