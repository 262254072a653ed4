/** memcached's longest key; keys are counted at least this long, so the bound holds in bytes too. */
const KEY_BYTES = 250;

/**
 * What a dead node must forget before it rejoins, and what the other nodes must forget after:
 * the keys it would own that were written or deleted on another node while it was out of the
 * ring. Up to `limit` keys (and `limit` × 250 bytes) are tracked: each is deleted from the node
 * before it rejoins, and the other nodes' copies after. A key that does not fit is untracked:
 * the node is then flushed instead, and the write that went elsewhere must be short-lived,
 * since nothing will delete that copy (the caller caps its TTL).
 */
export class MovedKeys {
  readonly #limit: number;
  readonly #keys = new Set<string>();
  #bytes = 0;
  #flush: boolean;
  #full: boolean;

  constructor(limit: number) {
    this.#limit = limit;
    this.#flush = limit === 0;
    this.#full = limit === 0;
  }

  /** True when the node must be flushed before it rejoins (too many keys, or the cache was flushed). */
  get needsFlush(): boolean {
    return this.#flush;
  }

  /** Keys tracked and not yet forgotten. */
  get size(): number {
    return this.#keys.size;
  }

  /**
   * Remembers a key; false when it cannot be tracked (the list is full), in which case the node
   * will be flushed and the copy written elsewhere is never deleted.
   */
  add(key: string): boolean {
    if (this.#keys.has(key)) return true;
    if (this.#full) return false;
    const bytes = Math.max(Buffer.byteLength(key), KEY_BYTES);
    if (this.#keys.size >= this.#limit || this.#bytes + bytes > this.#limit * KEY_BYTES) {
      // The keys tracked so far stay listed: the other nodes' copies of them still go after the rejoin.
      this.#full = true;
      this.#flush = true;
      return false;
    }
    this.#keys.add(key);
    this.#bytes += bytes;
    return true;
  }

  /**
   * The whole cache was flushed: the node must be flushed too, and nothing tracked so far has a
   * copy left anywhere. Keys written from now on are tracked again, up to the limit.
   */
  flushInstead(): void {
    this.#flush = true;
    this.#full = this.#limit === 0;
    this.#keys.clear();
    this.#bytes = 0;
  }

  /** Up to `count` tracked keys, left in place until `forget` says they were dealt with. */
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
