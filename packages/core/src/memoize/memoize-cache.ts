import type { GetOrSetOption } from '../options/get-or-set-options.js';
import type { Ttl } from '../ttl.js';

/**
 * What memoize needs of a cache (a `Cache` is one): it depends on this, not on the Cache class,
 * so the Cache can offer `memoize()` without an import cycle.
 */
export interface MemoizeCache {
  /** The value of `key`, or undefined. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Stores `value`; true when stored. */
  set(key: string, value: unknown, ttl?: Ttl): Promise<boolean>;
  /** Stores only if `key` is absent; true when stored. */
  add(key: string, value: unknown, ttl?: Ttl): Promise<boolean>;
  /** Deletes `key`; true when it existed. */
  delete(key: string): Promise<boolean>;
  /** The cached value of `key`, or the factory's result stored, with single-flight per key. */
  getOrSet<T>(key: string, factory: () => T | Promise<T>, option?: GetOrSetOption<T>): Promise<T>;
}
