import type { NearCacheOptions } from '../near/near-options.js';
import type { CacheLogger } from '../failure-log.js';
import { OptionNames, type ListsExactly } from '../option-names.js';
import type { RecomputeOptions, RecomputeTimeouts } from '../recompute/recompute-options.js';
import type { Serializer } from '../values/serializer.js';
import type { Ttl } from '../ttl.js';
import type { Backend } from '../types/backend.js';

/**
 * Options of a Cache. `grace`, `staleIfError`, `factoryTimeout` and `lock` are the defaults of the
 * read-compute-write path (getOrSet, memoize, views, fragments); each call or route may override
 * them (there `factoryTimeout` is spelled `timeout`).
 */
export interface CacheOptions extends Omit<RecomputeOptions, 'timeout'> {
  /** Default `timeout` of getOrSet: `{ soft, hard }` (named apart from a memcached backend's network `timeout`). */
  factoryTimeout?: RecomputeTimeouts;
  /** Where values live (default: a new MemoryBackend). The Cache closes it on `close()`. */
  backend?: Backend;
  /** Prepended to every key (default `''`). */
  keyPrefix?: string;
  /** TTL used when a call gives none: seconds or `'5m'`-style (default 300; 0 = never expire). */
  defaultTtl?: Ttl;
  /** Turns values into bytes + flags (default: FlagSerializer, Python-compatible flags). */
  serializer?: Serializer;
  /**
   * With the default serializer: compress values larger than this many bytes (default 16 KiB on a
   * shared backend such as memcached; 0 = never, the default on a backend in this process, such as
   * the memory backend, where compressing would only make every read inflate what is held in
   * memory anyway). Values are never larger than the backend's maxValueSize before compression,
   * and compressed values read back are inflated up to it and no further.
   */
  compressThreshold?: number;
  /**
   * `get`/`set`/`delete`/`touch` and the other plain methods turn backend failures into misses /
   * `false` results plus a log line (default true); false rethrows them. Either way each failure
   * is counted and emitted once. A stored value that cannot be read back (undecodable, or a
   * malformed chunked value) is a miss plus an `error` event either way. The outcome methods
   * (`read`, `write`, `remove`, `extend`) ignore this option: they report failures, never throw them.
   */
  ignoreErrors?: boolean;
  /** Receives one warning per burst of failures (default: `console`). */
  logger?: CacheLogger;
  /** Milliseconds between two logged failures; the ones between are counted (default 10,000). */
  errorLogInterval?: number;
  /**
   * Keep hot values decoded in this process for a bounded time (`true` for the defaults; see
   * NearCacheOptions). Only over a shared backend (memcached): over the memory backend it is not
   * used. Sessions never read through it.
   */
  near?: NearCacheOptions | true;
}

/** The names of CacheOptions, checked at run time (the assertion below fails the build when one is missing). */
export const CACHE_OPTION_NAMES = ['backend', 'keyPrefix', 'defaultTtl', 'serializer', 'compressThreshold', 'ignoreErrors', 'logger', 'errorLogInterval', 'grace', 'staleIfError', 'factoryTimeout', 'lock', 'near'] as const;
const cacheOptionsListed: ListsExactly<(typeof CACHE_OPTION_NAMES)[number], keyof CacheOptions> = true;
void cacheOptionsListed;
/** Checks a Cache's option names. */
export const CACHE_OPTIONS = new OptionNames('Cache', CACHE_OPTION_NAMES);

