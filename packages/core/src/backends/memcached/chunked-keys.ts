/**
 * The keys this process last saw holding a chunked value (it wrote one, or read a manifest),
 * bounded: past `limit` the oldest is forgotten. A small write over one of them reads the old
 * manifest in the same round trip so the old chunks can be removed; other small writes stay a
 * single request, since reading back every overwritten value would cost every write.
 */
export class ChunkedKeys {
  readonly #keys = new Set<string>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Remembers that `key` holds a chunked value. */
  add(key: string): void {
    this.#keys.delete(key);
    this.#keys.add(key);
    if (this.#keys.size > this.#limit) {
      const oldest = this.#keys.values().next();
      if (!oldest.done) this.#keys.delete(oldest.value);
    }
  }

  /** True when `key` was last seen holding a chunked value. */
  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /** Forgets `key` (overwritten with a small value, or deleted). */
  delete(key: string): void {
    this.#keys.delete(key);
  }
}
