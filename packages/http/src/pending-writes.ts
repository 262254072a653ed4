import type { Cache, TagVersions } from '@larder/core';
import type { CacheRule } from './cache-rule.js';
import type { RequestLogger } from './http-adapter.js';

/**
 * The response cache's writes, in the background (with the route's grace, and the tag versions
 * read when the request missed), so a slow cache never delays a response; failures are logged.
 * Bounded in bytes: past the bound a response is sent but not stored, so a slow memcached cannot
 * make them pile up.
 */
export class PendingWrites {
  readonly #cache: Cache;
  readonly #maxBytes: number;
  readonly #writes = new Set<Promise<void>>();
  #bytes = 0;

  constructor(cache: Cache, maxBytes: number) {
    this.#cache = cache;
    this.#maxBytes = maxBytes;
  }

  /** Writes `value` at `key` for `ttl` seconds and `grace` (default: the rule's); undefined when the bound leaves no room (nothing is written). */
  store(key: string, value: string, rule: CacheRule<object>, ttl: number, tagged: Promise<TagVersions | undefined> | undefined, log: RequestLogger, graceSeconds?: number): Promise<void> | undefined {
    // Two bytes per UTF-16 code unit: what the string holds in memory until it is written.
    const bytes = value.length * 2;
    if (this.#bytes + bytes > this.#maxBytes) {
      log.debug('larder: response not cached: the writes already waiting for the cache are at their byte bound');
      return undefined;
    }
    this.#bytes += bytes;
    const grace = graceSeconds ?? rule.policy.graceSeconds;
    const set = async (): Promise<boolean> => {
      if (tagged === undefined) return this.#cache.set(key, value, { ttl, grace });
      const versions = await tagged;
      return versions === undefined ? false : this.#cache.set(key, value, { ttl, grace, tags: versions });
    };
    const write = set()
      .then(
        () => undefined,
        (error: unknown) => log.warn({ err: error }, 'larder: response not cached'),
      )
      .finally(() => {
        this.#writes.delete(write);
        this.#bytes -= bytes;
      });
    this.#writes.add(write);
    return write;
  }

  /** Waits for the writes under way. */
  async drain(): Promise<void> {
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes]);
  }
}
