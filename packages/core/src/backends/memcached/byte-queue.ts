/**
 * Bytes received on a connection and not yet parsed: chunks appended at the back, read from the
 * front. Chunks are joined only when an answer straddles them, and then once per answer.
 */
export class ByteQueue {
  #chunks: Buffer[] = [];
  /** Where unread bytes start in the first chunk. */
  #offset = 0;
  #size = 0;

  /** Unread bytes in all. */
  get size(): number {
    return this.#size;
  }

  /** Where the unread bytes start in the buffer `front` returns. */
  get offset(): number {
    return this.#offset;
  }

  /** Appends received bytes. */
  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  /** A buffer holding at least the first `length` unread bytes (`length` <= size) from `offset` on. */
  front(length: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length - this.#offset >= length) return first;
    // Only the chunks that hold the first `length` bytes are joined; the rest stay as they came.
    let count = 1;
    let covered = first.length - this.#offset;
    while (covered < length) covered += this.#chunks[count++]!.length;
    const joined = Buffer.concat([first.subarray(this.#offset), ...this.#chunks.slice(1, count)], covered);
    this.#chunks.splice(0, count, joined);
    this.#offset = 0;
    return joined;
  }

  /** Removes and returns the first `length` unread bytes (`length` <= size). */
  take(length: number): Buffer {
    const buffer = this.front(length);
    const taken = buffer.subarray(this.#offset, this.#offset + length);
    this.skip(length);
    return taken;
  }

  /** Drops the first `length` unread bytes (`length` <= size); buffers handed out before stay as they are. */
  skip(length: number): void {
    const first = this.front(length);
    this.#size -= length;
    this.#offset += length;
    if (this.#offset === first.length) {
      this.#chunks.shift();
      this.#offset = 0;
    }
  }

  /** Drops everything unread. */
  clear(): void {
    this.#chunks = [];
    this.#offset = 0;
    this.#size = 0;
  }
}
