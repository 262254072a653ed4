import { HEADER_LENGTH, type Response } from './protocol.js';

/**
 * A binary protocol answer read in place: its header's numbers and the flags word are read once,
 * and its value and CAS are views of the received bytes made only when asked for.
 */
export class BinaryResponse implements Response {
  readonly opcode: number;
  readonly status: number;
  readonly opaque: number;
  readonly flags: number;
  /** The received bytes that hold the frame, from `#start` on. */
  readonly #bytes: Buffer;
  readonly #start: number;
  readonly #end: number;

  /** The frame of `length` bytes at `start` in `bytes`. */
  constructor(bytes: Buffer, start: number, length: number) {
    this.#bytes = bytes;
    this.#start = start;
    this.#end = start + length;
    this.opcode = bytes[start + 1]!;
    this.status = bytes.readUInt16BE(start + 6);
    this.opaque = bytes.readUInt32BE(start + 12);
    this.flags = bytes[start + 4]! >= 4 ? bytes.readUInt32BE(start + HEADER_LENGTH) : 0;
  }

  /** The header's fields: this object itself (no second object per answer). */
  get header(): this {
    return this;
  }

  /** The 8-byte CAS token. */
  get cas(): Buffer {
    return this.#bytes.subarray(this.#start + 16, this.#start + HEADER_LENGTH);
  }

  /** The value: what follows the extras and the key. */
  get val(): Buffer {
    return this.#bytes.subarray(this.#start + HEADER_LENGTH + this.#bytes[this.#start + 4]! + this.#bytes.readUInt16BE(this.#start + 2), this.#end);
  }
}
