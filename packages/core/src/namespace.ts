import type { GetOrSetOption } from './options/get-or-set-options.js';
import { toReadOptions, type ReadOptions } from './options/read-options.js';
import type { FailedOutcome, ReadOutcome, RemoveOutcome, WriteOutcome } from './types/outcomes.js';
import type { WriteOption } from './options/write-options.js';
import { COUNTER_KEY_MARK } from './envelopes/stamp-envelope.js';
import type { DeleteOptions } from './store/soft-delete.js';

/** What a namespace needs of its Cache (internal: made by `Cache.namespace`). */
export interface NamespaceAccess {
  read<T>(key: string, fresh: boolean): ReadOutcome<T> | Promise<ReadOutcome<T>>;
  write(key: string, value: unknown, ttl: WriteOption | undefined): Promise<WriteOutcome>;
  getOrSet<T>(key: string, factory: () => T | Promise<T>, option: GetOrSetOption<T> | undefined): Promise<T>;
  remove(key: string, options: DeleteOptions | undefined): Promise<RemoveOutcome>;
  bump(): Promise<void>;
  swallow(operation: string, error: Error): void;
  failure(operation: string, error: unknown): FailedOutcome;
}

/** The backend key (before the cache's prefix) of a namespace's version counter. */
export function namespaceVersionKey(name: string): string {
  return `${COUNTER_KEY_MARK}${name}`;
}

/**
 * A namespace of a Cache (`cache.namespace('products')`): keys are `products:` + key, and every
 * value is stored with the namespace's version (a counter at `larder-ns:products`, read with the
 * value in one round trip, or trusted for the near cache's `checkInterval`). `clear()` bumps the
 * counter: every value of the namespace is a miss from then on, in this process at once and in
 * every other within its checkInterval, with no key enumerated and no message bus. A value
 * computed while a clear happened is stamped with the version read before it was computed, so it
 * cannot outlive the clear. Values are stored in a versioned envelope (flags 2048) that Python
 * clients read as bytes.
 */
export class CacheNamespace {
  /** The namespace's name. */
  readonly name: string;
  readonly #access: NamespaceAccess;

  constructor(name: string, access: NamespaceAccess) {
    this.name = name;
    this.#access = access;
  }

  /** The cache key of `key` in this namespace. */
  key(key: string): string {
    return `${this.name}:${key}`;
  }

  /** As `Cache.read`, in this namespace: a value written before the last `clear()` is a miss. */
  async read<T = unknown>(key: string, options?: ReadOptions): Promise<ReadOutcome<T>> {
    return this.#access.read<T>(this.key(key), toReadOptions(options));
  }

  /** As `Cache.get`, in this namespace. */
  async get<T = unknown>(key: string, options?: ReadOptions): Promise<T | undefined> {
    const outcome = await this.read<T>(key, options);
    if (outcome.status === 'hit') return outcome.value;
    if (outcome.status === 'failed') this.#access.swallow('get', outcome.error);
    else if (outcome.undecodable !== undefined) this.#access.swallow('get', outcome.undecodable);
    return undefined;
  }

  /** As `Cache.write`, in this namespace: stamped with its current version (and the versions of the option's `tags`). */
  async write(key: string, value: unknown, ttl?: WriteOption): Promise<WriteOutcome> {
    return this.#access.write(this.key(key), value, ttl).catch((error: unknown) => this.#access.failure('set', error));
  }

  /** As `Cache.set`, in this namespace. */
  async set(key: string, value: unknown, ttl?: WriteOption): Promise<boolean> {
    const outcome = await this.write(key, value, ttl);
    if (outcome.status === 'failed') this.#access.swallow('set', outcome.error);
    return outcome.status === 'stored';
  }

  /** As `Cache.delete`, in this namespace (`{ soft: true, grace }` marks the value stale instead; unknown options E_INVALID_OPTION). */
  async delete(key: string, options?: DeleteOptions): Promise<boolean> {
    const outcome = await this.#access.remove(this.key(key), options);
    if (outcome.status === 'failed') this.#access.swallow('delete', outcome.error);
    return outcome.status === 'removed';
  }

  /** As `Cache.getOrSet`, in this namespace: the value is stamped with the versions (the namespace's, its `tags`') read before the factory ran. */
  async getOrSet<T>(key: string, factory: () => T | Promise<T>, option?: GetOrSetOption<T>): Promise<T> {
    return this.#access.getOrSet(this.key(key), factory, option);
  }

  /**
   * Makes every value of this namespace a miss, in every process (see the class comment); true
   * when the version counter was bumped, false when the backend failed (see `ignoreErrors`).
   */
  async clear(): Promise<boolean> {
    try {
      await this.#access.bump();
      return true;
    } catch (error) {
      this.#access.swallow('clear', this.#access.failure('clear', error).error);
      return false;
    }
  }
}
