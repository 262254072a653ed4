/** memcached's longest key; keys are counted at least this long, so the bound holds in bytes too. */
const KEY_BYTES = 250;

/**
 * The keys a dead node would own that were written or deleted on another node while it was out
 * of the ring: its copies of them are stale and must go before it rejoins. Bounded by `limit`
 * keys and `limit` × 250 bytes; past that it only remembers "flush the node".
 */
export class MovedKeys {
  readonly #limit: number;
  readonly #keys = new Set<string>();
  #bytes = 0;
  #flush: boolean;

  constructor(limit: number) {
    this.#limit = limit;
    this.#flush = limit === 0;
  }

  /** True when too much changed to list: the node must be flushed instead. */
  get needsFlush(): boolean {
    return this.#flush;
  }

  /** Keys remembered and not yet deleted from the node. */
  get size(): number {
    return this.#keys.size;
  }

  /** Remembers a key (a no-op once a flush is needed). */
  add(key: string): void {
    if (this.#flush || this.#keys.has(key)) return;
    const bytes = Math.max(Buffer.byteLength(key), KEY_BYTES);
    if (this.#keys.size >= this.#limit || this.#bytes + bytes > this.#limit * KEY_BYTES) {
      this.flushInstead();
      return;
    }
    this.#keys.add(key);
    this.#bytes += bytes;
  }

  /** Forgets the list: the node is to be flushed (too many keys, or the whole cache was flushed). */
  flushInstead(): void {
    this.#flush = true;
    this.#keys.clear();
    this.#bytes = 0;
  }

  /** Up to `count` remembered keys, left in place until `forget` says they were deleted. */
  take(count: number): string[] {
    const keys: string[] = [];
    for (const key of this.#keys) {
      if (keys.length === count) break;
      keys.push(key);
    }
    return keys;
  }

  /**
   * Forgets keys the node no longer holds. A key written elsewhere again since it was taken
   * needs nothing more: nobody writes to a node that is out of the ring.
   */
  forget(keys: readonly string[]): void {
    for (const key of keys) {
      if (this.#keys.delete(key)) this.#bytes -= Math.max(Buffer.byteLength(key), KEY_BYTES);
    }
  }

  /** After the node was flushed: nothing it holds is stale any more. */
  flushed(): void {
    this.#flush = false;
    this.#keys.clear();
    this.#bytes = 0;
  }
}
