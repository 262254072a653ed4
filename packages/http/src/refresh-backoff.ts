/** The pause after a page's first failed refresh; it doubles with each failure after it. */
export const FIRST_BACKOFF_MS = 1000;
/** The longest pause between two refreshes of a failing page. */
export const MAX_BACKOFF_MS = 30_000;
/** Bytes of page keys the backoff remembers at most (past it, the pages that failed longest ago are forgotten). */
export const MAX_BACKOFF_BYTES = 1024 * 1024;
// What an entry costs beyond its key: the Map slot and the small record.
const ENTRY_OVERHEAD = 64;

interface Failing {
  /** Failed refreshes in a row. */
  failures: number;
  /** No refresh of the page before this time (ms). */
  until: number;
}

/**
 * Backoff for a failing origin: after a page's background refresh fails, its stale page is served
 * without a refresh for 1 s, doubling with each failure in a row up to 30 s, instead of every
 * stale request of the page running the handler once more. A refresh that succeeds forgets the
 * page; so does a quiet spell as long as the longest pause. Per page flight (audience and key),
 * bounded in bytes.
 */
export class RefreshBackoff {
  readonly #failing = new Map<string, Failing>();
  readonly #now: () => number;
  #bytes = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** True when the page `page` may be refreshed now. */
  allows(page: string): boolean {
    const failing = this.#failing.get(page);
    return failing === undefined || this.#now() >= failing.until;
  }

  /** A refresh of `page` failed: the next one waits. */
  failed(page: string): void {
    const now = this.#now();
    const before = this.#failing.get(page);
    // A page that failed long ago starts over from the first pause.
    const failures = before !== undefined && now < before.until + MAX_BACKOFF_MS ? before.failures + 1 : 1;
    this.#forget(page);
    this.#failing.set(page, { failures, until: now + Math.min(FIRST_BACKOFF_MS * 2 ** (failures - 1), MAX_BACKOFF_MS) });
    this.#bytes += page.length + ENTRY_OVERHEAD;
    for (const oldest of this.#failing.keys()) {
      if (this.#bytes <= MAX_BACKOFF_BYTES) break;
      this.#forget(oldest);
    }
  }

  /** A refresh of `page` stored it: it is not failing. */
  succeeded(page: string): void {
    this.#forget(page);
  }

  /** Pages remembered now (for tests). */
  get size(): number {
    return this.#failing.size;
  }

  #forget(page: string): void {
    if (this.#failing.delete(page)) this.#bytes -= page.length + ENTRY_OVERHEAD;
  }
}
