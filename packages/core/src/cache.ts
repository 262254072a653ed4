import { MemoryBackend } from './backends/memory-backend.js';
import { CACHE_BRAND, CACHE_BRAND_VERSION } from './cache-brand.js';
import { checkBackend, checkBoolean, checkLogger, checkMilliseconds, checkOptionsObject, checkSerializer } from './cache-option-checks.js';
import { InvalidArgumentError, InvalidOptionError, isAvailabilityError, LarderError } from './errors.js';
import type { DecodeMemo } from './decode-memo.js';
import { CacheEventEmitter } from './events.js';
import { FailureLog, type CacheLogger } from './failure-log.js';
import { toGetOrSetOptions, type GetOrSetOption } from './get-or-set-options.js';
import { GraceEnvelope } from './recompute/grace-envelope.js';
import { Recomputer, type Entry, type RecomputeCall, type StaleReason } from './recompute/recompute.js';
import { NO_RECOMPUTE, optionFailure, toRecomputePolicy, type RecomputeOptions, type RecomputePolicy, type RecomputeTimeouts } from './recompute/recompute-options.js';
import { tryLock, type LockAttempt } from './recompute/stampede-lock.js';
import { toWriteOptions, type WriteOption } from './write-options.js';
import { toDelta, toPairs, toSeconds, type CacheEntries } from './cache-arguments.js';
import { toSafeKey } from './keys.js';
import { toUserKey } from './reserved-keys.js';
import { OptionNames, type ListsExactly } from './option-names.js';
import { NearCache } from './near/near-cache.js';
import { ReadPath, type DecodedEntry } from './read-path.js';
import { toNearCacheSettings, type NearCacheOptions } from './near/near-options.js';
import { CacheNamespace, namespaceVersionKey } from './namespace.js';
import type { ReadScope } from './versions/read-scope.js';
import { isWritableStamp, StampedEnvelope, type Stamps } from './versions/stamp-envelope.js';
import { TagVersions, tagVersionKey, toTags } from './versions/tags.js';
import { VersionCounters } from './versions/version-counters.js';
import { toReadOptions, type ReadOptions } from './read-options.js';
import { FlagSerializer, type Serializer } from './serializer.js';
import { memoizeFunction, type Memoized } from './memoize/memoize.js';
import { checkMemoizeOptions, type MemoizeOptions } from './memoize/memoize-options.js';
import { parseTtlOption, type Ttl } from './ttl.js';
import type { Backend, StoredItem, SyncReads } from './types/backend.js';
import type { ConditionalWriteOutcome, ExtendOutcome, FailedOutcome, ReadOutcome, RemoveOutcome, WriteOutcome } from './types/outcomes.js';

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
   * With the default serializer: compress values larger than this many bytes (default 16 KiB;
   * 0 = never). Values are never larger than the backend's maxValueSize before compression,
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
const CACHE_OPTIONS = new OptionNames('Cache', CACHE_OPTION_NAMES);

/** Counters of a Cache since it was created. */
export interface CacheStats {
  /** Reads that found a value. */
  hits: number;
  /** Reads that found nothing (including failures and undecodable values). */
  misses: number;
  /** Values written. */
  sets: number;
  /** Keys deleted. */
  deletes: number;
  /** Backend failures and undecodable values. */
  errors: number;
  /** Stale values served (past their ttl, within grace) by the read-compute-write path. */
  stale: number;
  /** Misses on which this process waited for another process's lock instead of computing. */
  lockWaits: number;
  /** Reads answered from the near cache (also counted in `hits`). */
  nearHits: number;
  /** Reads that looked in the near cache and went to the backend. */
  nearMisses: number;
  /** What the near cache holds now; undefined without one. */
  near: { items: number; bytes: number } | undefined;
  /** The backend's name, e.g. `memory` or `memcached(127.0.0.1:11211)`. */
  backend: string;
}

/** A value read with its check-and-set token. */
export interface CasResult<T> {
  /** The value. */
  value: T;
  /** Pass this back to `cas()` unchanged. */
  cas: bigint;
}


/**
 * The cache facade: prefixes and normalises keys, serializes values with Python-compatible
 * flags, applies TTLs and the ignore-errors policy, and counts what happens.
 */
export class Cache extends CacheEventEmitter {
  /** Marks a Cache from any copy of @larder/core (see cache-brand.ts); checked instead of instanceof. */
  readonly [CACHE_BRAND] = CACHE_BRAND_VERSION;
  /** The backend behind this cache. */
  readonly backend: Backend;
  /** The key prefix given at construction. */
  readonly keyPrefix: string;
  /** The default TTL in seconds. */
  readonly defaultTtl: number;
  readonly #serializer: Serializer;
  readonly #ignoreErrors: boolean;
  readonly #failures: FailureLog;
  readonly #recomputer: Recomputer;
  readonly #refreshFailures: FailureLog;
  /** The read-compute-write defaults from the options (all off unless given). */
  readonly recompute: RecomputePolicy;
  readonly #stats = { hits: 0, misses: 0, sets: 0, deletes: 0, errors: 0, stale: 0, lockWaits: 0, nearHits: 0, nearMisses: 0 };
  readonly #sync: SyncReads | undefined;
  readonly #near: NearCache | undefined;
  readonly #versions: VersionCounters;
  readonly #reads: ReadPath;

  constructor(options: CacheOptions = {}) {
    super();
    checkOptionsObject(options, 'Cache');
    CACHE_OPTIONS.check(options);
    if (options.keyPrefix !== undefined && typeof options.keyPrefix !== 'string') {
      throw new InvalidOptionError('keyPrefix', 'must be a string');
    }
    this.backend = checkBackend(options.backend) ?? new MemoryBackend();
    this.keyPrefix = options.keyPrefix ?? '';
    this.defaultTtl = parseTtlOption('defaultTtl', options.defaultTtl ?? 300);
    this.#serializer =
      checkSerializer(options.serializer) ??
      new FlagSerializer({
        maxValueSize: this.backend.capabilities.maxValueSize,
        ...(options.compressThreshold === undefined ? {} : { compressThreshold: options.compressThreshold }),
      });
    this.#ignoreErrors = checkBoolean('ignoreErrors', options.ignoreErrors) ?? true;
    this.#failures = new FailureLog(checkLogger(options.logger) ?? console, checkMilliseconds('errorLogInterval', options.errorLogInterval) ?? 10_000);
    this.#sync = hasSyncReads(this.backend) ? this.backend : undefined;
    const near = options.near === undefined ? undefined : toNearCacheSettings(options.near);
    this.#near = near !== undefined && this.backend.capabilities.shared ? new NearCache(near) : undefined;
    this.#versions = new VersionCounters(this.backend, this.#near?.settings.checkIntervalMs ?? 0);
    this.#reads = new ReadPath({
      backend: this.backend,
      sync: this.#sync,
      near: this.#near,
      versions: this.#versions,
      serializer: this.#serializer,
      reports: {
        hit: (key) => {
          this.#stats.hits++;
          if (this.listens('hit')) this.emit('hit', { key });
        },
        miss: (key) => this.#miss(key),
        nearHit: (key) => {
          this.#stats.nearHits++;
          if (this.listens('near-hit')) this.emit('near-hit', { key });
        },
        nearMiss: (key) => {
          this.#stats.nearMisses++;
          if (this.listens('near-miss')) this.emit('near-miss', { key });
        },
        undecodable: (key, error) => this.#undecodable(key, error),
        failed: (key, error) => this.#readFailure(key, error),
        settle: (outcome) => void this.#valueOf(outcome),
        manyFailed: (error) => this.#fail('getMany', undefined, error),
        timing: () => this.listens('backend'),
        backendCall: (operation, startedAt, ok) => this.emit('backend', { operation, ms: performance.now() - startedAt, ok }),
      },
    });
    const { grace, staleIfError, factoryTimeout, lock } = options;
    this.recompute = toRecomputePolicy({ grace, staleIfError, timeout: factoryTimeout, lock }, NO_RECOMPUTE, (name, problem) =>
      optionFailure()(name === 'timeout' || name.startsWith('timeout.') ? `factory${name[0]!.toUpperCase()}${name.slice(1)}` : name, problem),
    );
    this.#refreshFailures = new FailureLog(checkLogger(options.logger) ?? console, checkMilliseconds('errorLogInterval', options.errorLogInterval) ?? 10_000, Date.now, 'larder refresh');
    this.#recomputer = new Recomputer({
      readEntry: (key, call) => this.#readEntry(key, call),
      store: (key, value, call) => this.#store(key, value, call),
      tryLock: (key, lockMs) => this.tryLock(key, lockMs),
      servedStale: (key, reason) => this.servedStale(key, reason),
      waitedForLock: () => void this.#stats.lockWaits++,
      refreshFailed: (_key, error) => this.refreshFailed(error),
      factorySettled: (key, ms, ok) => {
        if (this.listens('recompute')) this.emit('recompute', { key, ms, ok });
      },
      remove: (key) => this.remove(key),
    });
  }

  /** Opens the backend and checks credentials; rejects with a typed error (E_AUTH, E_CONNECTION...). */
  connect(): Promise<void> {
    return this.backend.connect();
  }

  /**
   * Reads `key`: `hit` with the value, `miss` (absent, expired, or undecodable: see `undecodable`),
   * or `failed` with the backend's error. Failures are counted and emitted (operation `get`), never
   * thrown nor logged: logging is the caller's. Rejects only on usage errors (a key that is not a string).
   */
  async read<T = unknown>(key: string, options?: ReadOptions): Promise<ReadOutcome<T>> {
    return this.#readOutcome<T>(key, toReadOptions(options));
  }

  /** The value of `key`, or undefined when absent, expired, undecodable or unreachable (see `ignoreErrors`); `{ fresh: true }` reads past the near cache. */
  async get<T = unknown>(key: string, options?: ReadOptions): Promise<T | undefined> {
    const pending = this.#readOutcome<T>(key, options === undefined ? false : toReadOptions(options));
    return this.#valueOf(pending instanceof Promise ? await pending : pending);
  }

  /** True when `key` holds a value. */
  async has(key: string, options?: ReadOptions): Promise<boolean> {
    return (await this.get(key, options)) !== undefined;
  }

  /**
   * Stores `value` for `ttl` (default: defaultTtl; or `{ ttl, grace, tags }`, see WriteOptions):
   * `stored`, `not-stored` (the backend declined), or `failed` with the backend's error (counted,
   * emitted as `set`, not logged, never thrown).
   * Rejects on usage errors: E_INVALID_ARGUMENT, E_SERIALIZE, E_VALUE_TOO_LARGE, E_CLOSED.
   */
  async write(key: string, value: unknown, ttl?: WriteOption): Promise<WriteOutcome> {
    return this.#writeOutcome(key, value, ttl);
  }

  /**
   * Stores `value` only where nothing is (`'absent'`: memcached `add`) or only over a value that is
   * there (`'present'`: `replace`), with the options of `write`: `stored`, `present` or `absent`
   * (the condition did not hold), or `failed` with the backend's error (counted, emitted, never thrown).
   */
  async writeIf(key: string, value: unknown, condition: WriteCondition, ttl?: WriteOption): Promise<ConditionalWriteOutcome> {
    if (condition !== 'absent' && condition !== 'present') throw new InvalidArgumentError(`writeIf takes the condition 'absent' or 'present', got ${JSON.stringify(condition)}`);
    const outcome = await this.#writeOutcome(key, value, ttl, NO_KEYS, undefined, condition === 'absent' ? 'add' : 'replace');
    return outcome.status === 'not-stored' ? (condition === 'absent' ? PRESENT : ABSENT) : outcome;
  }

  /** Stores `value` for `ttl` (default: defaultTtl; or `{ ttl, grace, tags }`); false when the backend did not store it (see `ignoreErrors`). */
  async set(key: string, value: unknown, ttl?: WriteOption): Promise<boolean> {
    const pending = this.#writeOutcome(key, value, ttl);
    const outcome = pending instanceof Promise ? await pending : pending;
    if (outcome.status === 'failed') this.#swallow('set', outcome.error);
    return outcome === STORED;
  }

  /** Stores only if `key` is absent; true when stored. */
  async add(key: string, value: unknown, ttl?: Ttl): Promise<boolean> {
    return this.#write('add', key, value, (full, item) => this.backend.add(full, item, this.#ttl(ttl)));
  }

  /** Stores only if `key` is present; true when stored. */
  async replace(key: string, value: unknown, ttl?: Ttl): Promise<boolean> {
    return this.#write('replace', key, value, (full, item) => this.backend.replace(full, item, this.#ttl(ttl)));
  }

  /** Deletes `key`: `removed`, `absent`, or `failed` with the backend's error (counted, emitted as `delete`, not logged, never thrown). */
  async remove(key: string): Promise<RemoveOutcome> {
    const full = this.#key(key);
    let deleted: boolean;
    this.#near?.wrote(full);
    try {
      deleted = await this.backend.delete(full);
    } catch (error) {
      return this.#failure('delete', key, error);
    } finally {
      this.#near?.wrote(full);
    }
    if (!deleted) return ABSENT;
    this.#stats.deletes++;
    return REMOVED;
  }

  /** Deletes `key`; true when it existed, false when absent or failed (see `ignoreErrors`). */
  async delete(key: string): Promise<boolean> {
    const outcome = await this.remove(key);
    if (outcome.status === 'failed') this.#swallow('delete', outcome.error);
    return outcome === REMOVED;
  }

  /** The values of the keys found, by key; absent keys (and values of an invalidated tag or cleared namespace) are left out. */
  async getMany<T = unknown>(keys: readonly string[]): Promise<Record<string, T>> {
    return this.#reads.many<T>(keys, this.#keys('getMany', keys));
  }

  /** Stores every entry with one TTL; resolves to the keys that were not stored. */
  async setMany(entries: CacheEntries, ttl?: Ttl): Promise<string[]> {
    const pairs = toPairs(entries);
    const encoded = pairs.map(([key, value]) => [this.#key(key), this.#serializer.encode(value)] as const);
    const seconds = this.#ttl(ttl);
    const allKeys = encoded.map(([full]) => full);
    const failedFull = await this.#mutating(allKeys, () => this.#attempt('setMany', undefined, allKeys, () => this.backend.setMany(encoded, seconds)));
    const failed = new Set(failedFull);
    this.#stats.sets += pairs.length - failed.size;
    return pairs.filter((_, i) => failed.has(encoded[i]![0])).map(([key]) => key);
  }

  /** Deletes every key; resolves to the keys that existed. */
  async deleteMany(keys: readonly string[]): Promise<string[]> {
    const fullKeys = this.#keys('deleteMany', keys);
    const deleted = new Set(await this.#mutating(fullKeys, () => this.#attempt('deleteMany', undefined, [], () => this.backend.deleteMany(fullKeys))));
    this.#stats.deletes += deleted.size;
    return keys.filter((_, i) => deleted.has(fullKeys[i]!));
  }

  /** Adds `delta` (default 1) to an integer value; undefined when absent. Negative deltas decrement. */
  async incr(key: string, delta = 1): Promise<number | undefined> {
    const amount = toDelta(delta);
    const full = this.#key(key);
    const op = amount < 0n ? 'decr' : 'incr';
    const result = await this.#mutating([full], () =>
      this.#attempt(op, key, undefined, () => (amount < 0n ? this.backend.decr(full, -amount) : this.backend.incr(full, amount))),
    );
    return result === undefined ? undefined : Number(result);
  }

  /** Subtracts `delta` (default 1), flooring at 0 as memcached does; undefined when absent. */
  async decr(key: string, delta = 1): Promise<number | undefined> {
    return this.incr(key, typeof delta === 'number' ? -delta : delta);
  }

  /**
   * Gives `key` a new TTL without rewriting it (memcached `touch`): `extended`, `absent`, or
   * `failed` with the backend's error (counted, emitted as `touch`, not logged, never thrown).
   */
  async extend(key: string, ttl: Ttl): Promise<ExtendOutcome> {
    const full = this.#key(key);
    const seconds = toSeconds(ttl);
    let found: boolean;
    this.#near?.wrote(full);
    try {
      found = await this.backend.touch(full, seconds);
    } catch (error) {
      return this.#failure('touch', key, error);
    } finally {
      this.#near?.wrote(full);
    }
    return found ? EXTENDED : ABSENT;
  }

  /** Gives `key` a new TTL without rewriting it; true when the key exists, false when absent or failed (see `ignoreErrors`). */
  async touch(key: string, ttl: Ttl): Promise<boolean> {
    const outcome = await this.extend(key, ttl);
    if (outcome.status === 'failed') this.#swallow('touch', outcome.error);
    return outcome === EXTENDED;
  }

  /** The value of `key` with a CAS token for `cas()`; undefined when absent. */
  async gets<T = unknown>(key: string): Promise<CasResult<T> | undefined> {
    const full = this.#key(key);
    const item = await this.#attempt('gets', key, undefined, () => this.backend.gets(full));
    const value = this.#valueOf(this.#reads.decode(key, item));
    return item && value !== undefined ? { value: value as T, cas: item.cas } : undefined;
  }

  /** Stores if unchanged since `gets`: true stored, false changed since (or failed), undefined absent. */
  async cas(key: string, value: unknown, cas: bigint, ttl?: Ttl): Promise<boolean | undefined> {
    if (typeof cas !== 'bigint') throw new InvalidArgumentError('cas token must be the bigint that gets() returned');
    return this.#write('cas', key, value, (full, item) => this.backend.cas(full, item, cas, this.#ttl(ttl)));
  }

  /** Removes every item of the backend (all prefixes: memcached has no per-prefix flush). */
  async clear(): Promise<boolean> {
    this.#near?.clear();
    try {
      return await this.#attempt('clear', undefined, false, async () => {
        await this.backend.flush();
        return true;
      });
    } finally {
      this.#near?.clear();
    }
  }

  /**
   * The cached value of `key`, or the factory's result stored (the one read-compute-write path:
   * memoize, views and fragments use it). `option` is a TTL or `{ ttl, force, shouldStore, fresh, tags }` plus
   * the recompute options (`grace`, `staleIfError`, `timeout`, `lock`; defaults from the Cache).
   * Concurrent callers of one key in this cache share one run of the factory, keyed on the full
   * backend key (prefix and safe-key step), so two caches never share a run; forced callers share
   * a run of their own and never receive a value read from the cache. With grace a stale value is
   * served while one caller refreshes it; with a lock one process in the cluster computes a miss.
   * A throwing factory is not cached and every waiter sees its error (or, with grace, the stale
   * value); undefined is never stored. With `tags`, the value is stamped with the tags' versions
   * read before the factory runs (a value computed across an `invalidateTags` is a miss after it),
   * and only a value carrying every one of them is served. Bad options reject with E_INVALID_ARGUMENT.
   */
  async getOrSet<T>(key: string, factory: () => T | Promise<T>, option?: GetOrSetOption<T>): Promise<T> {
    return this.#getOrSet(key, factory, option, NO_KEYS);
  }

  /**
   * The versions of `tags` now, for a value about to be computed and written later with
   * `set(key, value, { tags: versions })`: an `invalidateTags` in between makes that value a miss,
   * as getOrSet's tags do (the HTTP response cache reads them when a page misses, before its
   * handler runs). Rejects on backend failure; bad tags reject with E_INVALID_ARGUMENT.
   */
  async tagVersions(tags: readonly string[]): Promise<TagVersions> {
    const checked = toTags(tags, 'tagVersions');
    return new TagVersions(checked, await this.#versions.stampsFor(this.#tagKeys(checked)));
  }

  /**
   * Makes every value written with one of `tags` a miss, in every process: one `incr` of each tag's
   * version counter (in parallel), no key enumerated. This process's near entries carrying a tag
   * go at once; another process's within its near `checkInterval` (at once without a near cache).
   * True when every counter was bumped (or absent: then no current value carries it), false when
   * the backend failed (see `ignoreErrors`: false rethrows). Bad tags reject with E_INVALID_ARGUMENT.
   */
  async invalidateTags(tags: readonly string[]): Promise<boolean> {
    if (!Array.isArray(tags)) throw new InvalidArgumentError(`invalidateTags: tags must be an array of strings, got ${tags === null ? 'null' : typeof tags}`);
    const keys = this.#tagKeys(toTags(tags, 'invalidateTags', Infinity));
    if (keys.length === 0) return true;
    try {
      await this.#versions.invalidate(keys);
      return true;
    } catch (error) {
      this.#fail('invalidateTags', undefined, error);
      return false;
    } finally {
      // Never served again (their versions are behind now); dropped so they hold no memory either.
      this.#near?.forgetStamped(new Set(keys));
    }
  }

  /**
   * A namespace of this cache: its keys are `name:` + key, and its `clear()` makes every value
   * in it a miss in every process (a version counter in the backend; see CacheNamespace).
   */
  namespace(name: string): CacheNamespace {
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('a namespace name is a non-empty string');
    const versionKey = this.#internalKey(namespaceVersionKey(name));
    // A key so long that the safe-key step hashed the counter mark away could not be told from a forged stamp.
    if (!isWritableStamp({ key: versionKey, version: '0' })) throw new InvalidArgumentError('a namespace name and key prefix this long leave no readable counter key: shorten them');
    const keys: readonly string[] = [versionKey];
    const readScope: ReadScope = { keys, since: Infinity, stamps: undefined };
    return new CacheNamespace(name, {
      read: <T>(key: string, fresh: boolean) => this.#readOutcome<T>(key, fresh, readScope),
      write: async (key, value, ttl) => this.#writeOutcome(key, value, ttl, keys),
      getOrSet: (key, factory, option) => this.#getOrSet(key, factory, option, keys),
      remove: (key) => this.remove(key),
      bump: async () => {
        try {
          await this.#versions.bump(versionKey);
        } finally {
          this.#near?.forgetStamped(new Set(keys));
        }
      },
      swallow: (operation, error) => this.#swallow(operation, error),
      failure: (operation, error) => this.#failure(operation, undefined, error),
    });
  }

  // `scopeKeys`: the namespace's counter, if any; the call's tags add theirs.
  async #getOrSet<T>(key: string, factory: () => T | Promise<T>, option: GetOrSetOption<T> | undefined, scopeKeys: readonly string[]): Promise<T> {
    const full = this.#key(key);
    if (typeof factory !== 'function') throw new InvalidArgumentError(`getOrSet needs a factory function, got ${typeof factory}`);
    const options = toGetOrSetOptions(option);
    const policy = !hasRecomputeOptions(options) ? this.recompute : toRecomputePolicy(options, this.recompute, (name, problem) => new InvalidArgumentError(`getOrSet option ${name} ${problem}`));
    const tags = toTags(options.tags, 'getOrSet');
    const keys = tags.length === 0 ? scopeKeys : [...scopeKeys, ...this.#tagKeys(tags)];
    let scope: ReadScope | undefined;
    if (keys.length > 0) {
      const since = this.#versions.ticket();
      try {
        // Taken before the factory runs: a value computed across a clear or an invalidation does not outlive it.
        scope = { keys, since, stamps: await this.#versions.stampsFor(keys) };
      } catch (error) {
        // Without the versions nothing can be stored safely: the value is computed, not cached.
        this.#fail('getOrSet', key, error);
        return factory();
      }
    }
    const fresh = options.fresh ?? false;
    const call = { ttlSeconds: this.#ttl(options.ttl), policy, force: options.force ?? false, shouldStore: options.shouldStore, fresh, scope };
    // Callers share a run only when they would read alike: a fresh caller never gets a near value
    // through a plain one's run, and a namespace's caller after a clear never joins a run from before it
    // (a safe key holds no line feed, so these names never meet a plain key's).
    let flight = full;
    if (scope !== undefined) flight += `\n${scope.stamps?.map((stamp) => `${stamp.key}=${stamp.version}`).join(',') ?? ''}`;
    if (fresh) flight += '\nfresh';
    return this.#recomputer.run(key, flight, factory, call);
  }

  #store(key: string, value: unknown, call: RecomputeCall<unknown>): Promise<WriteOutcome> {
    const { ttlSeconds, policy, scope } = call;
    const pending = this.#writeOutcome(key, value, { ttl: ttlSeconds, grace: policy.graceSeconds }, NO_KEYS, scope?.stamps);
    return (pending instanceof Promise ? pending : Promise.resolve(pending)).then((outcome) => {
      if (outcome.status === 'failed') this.#swallow('set', outcome.error);
      return outcome;
    });
  }

  /**
   * Tries to take the cross-process lock of `key` for at most `lockMs` (see stampede-lock.ts):
   * `acquired` (call its `release`), `held` by someone else, or `unavailable` (the backend failed).
   * Undefined when the backend is not shared (memory): a process's own single-flight is the lock there.
   */
  tryLock(key: string, lockMs: number): Promise<LockAttempt> | undefined {
    if (!this.backend.capabilities.shared) return undefined;
    return tryLock(this.backend, this.#key(key), lockMs);
  }

  /** Counts and announces a stale value served (by getOrSet, or a read-compute-write path of its own such as the view cache's). */
  servedStale(key: string, reason: StaleReason): void {
    this.#stats.stale++;
    if (this.listens('stale')) this.emit('stale', { key, reason });
  }

  /** Logs a failed refresh of a stale value, once per burst (for read-compute-write paths of their own). */
  refreshFailed(error: unknown): void {
    this.#refreshFailures.record(`refreshing a stale value failed, serving it until its grace ends: ${error instanceof Error ? error.message : String(error)}`);
  }

  /**
   * `memo.decode` of the value of `key` (as `get` reads it), or undefined when absent, expired,
   * undecodable or unreachable (see `ignoreErrors`). A read of the stored item `memo` last decoded
   * at this key (see DecodeMemo) skips the serializer and the decode: the typed form of the view
   * cache's decode shortcut. Counted and emitted as `get` is.
   */
  async readDecoded<R>(key: string, memo: DecodeMemo<R>, options?: ReadOptions): Promise<R | undefined> {
    const entry = await this.readDecodedEntry(key, memo, options);
    return entry === undefined || entry.stale ? undefined : entry.value;
  }

  /**
   * As `readDecoded`, but a value past its ttl and within grace is returned too, marked `stale`
   * (counted as a miss): for read-compute-write paths of their own, such as the view cache.
   */
  async readDecodedEntry<R>(key: string, memo: DecodeMemo<R>, options?: ReadOptions): Promise<DecodedEntry<R> | undefined> {
    return this.#reads.decodedEntry(key, this.#key(key), memo, options !== undefined && toReadOptions(options));
  }

  /**
   * `memo.decode` of the fresh value of `key` when this process can answer at once, without a
   * promise: a near-cache hit, or a hit of an in-process backend (memory) on an item the memo has
   * decoded. Counted as a hit. Otherwise undefined and nothing is counted: read with
   * `readDecodedEntry` then. For hot paths such as the view cache's hit. A tagged (or namespaced)
   * value is answered only while its counters are known current (near: read within
   * `checkInterval`; memory: read beside it), never once a tag was invalidated.
   */
  peekDecoded<R>(key: string, memo: DecodeMemo<R>): R | undefined {
    return this.#reads.peekDecoded(key, this.#key(key), memo);
  }

  /** `fn` with its results cached in this cache by a hash of its arguments (see `memoize`). */
  memoize<Args extends unknown[], Result>(fn: (...args: Args) => Result, options: Omit<MemoizeOptions<Args, Result>, 'cache'> = {}): Memoized<Args, Result> {
    checkMemoizeOptions(options, false);
    return memoizeFunction(fn, { ...options, cache: this });
  }

  /** Counters since creation: a fresh snapshot, synchronous (they are kept in memory), as every Larder `stats()` is. */
  stats(): CacheStats {
    const near = this.#near;
    return { ...this.#stats, near: near === undefined ? undefined : { items: near.items, bytes: near.bytes }, backend: this.backend.name };
  }

  /** Closes the backend. */
  async close(): Promise<void> {
    await this.backend.close();
  }

  /** The backend key for a caller's key: a reserved prefix escaped (see reserved-keys.ts), the key prefix, then made memcached-safe. */
  backendKey(key: string): string {
    return this.#key(key);
  }

  // Every caller's key goes through here: one that starts with a reserved prefix is escaped, so
  // no caller key reaches a version counter, a lock or a chunk.
  #key(key: string): string {
    if (typeof key !== 'string') throw new InvalidArgumentError(`cache keys are strings, got ${typeof key}`);
    return toSafeKey(this.keyPrefix + toUserKey(key));
  }

  /** The backend key of one of Larder's own keys (a version counter): the key prefix, made memcached-safe, never escaped. */
  #internalKey(key: string): string {
    return toSafeKey(this.keyPrefix + key);
  }

  /** The backend keys of the tags' version counters; a usage error when the key prefix leaves no readable counter key. */
  #tagKeys(tags: readonly string[]): string[] {
    return tags.map((tag) => {
      const versionKey = this.#internalKey(tagVersionKey(tag));
      // A counter key whose mark the safe-key step hashed away could not be told from a forged stamp.
      if (!isWritableStamp({ key: versionKey, version: '0' })) throw new InvalidArgumentError('a tag and key prefix this long leave no readable counter key: shorten them');
      return versionKey;
    });
  }

  #keys(operation: string, keys: readonly string[]): string[] {
    if (!Array.isArray(keys)) throw new InvalidArgumentError(`${operation} takes an array of keys, got ${typeof keys}`);
    return keys.map((key) => this.#key(key));
  }

  #ttl(ttl: Ttl | undefined): number {
    return ttl === undefined ? this.defaultTtl : toSeconds(ttl);
  }

  // The outcome methods and their wrappers share these two. With a synchronous backend (memory)
  // or a near hit they answer without a promise, so the wrappers add no await of their own to the hot path.
  #readOutcome<T>(key: string, fresh = false, scope?: ReadScope): ReadOutcome<T> | Promise<ReadOutcome<T>> {
    return this.#reads.outcome<T>(key, this.#key(key), fresh, scope);
  }

  #readFailure(key: string, error: unknown): ReadOutcome<never> {
    if (isUnreadable(error)) return this.#undecodable(key, error);
    const failed = this.#failure('get', key, error);
    this.#miss(key);
    return failed;
  }

  // `scopeKeys`: counters to stamp with besides the option's tags (a namespace's); `stamps`: versions read already (getOrSet's).
  #writeOutcome(key: string, value: unknown, option: WriteOption | undefined, scopeKeys = NO_KEYS, stamps?: Stamps, mode: WriteMode = 'set'): WriteOutcome | Promise<WriteOutcome> {
    const full = this.#key(key);
    let item = this.#serializer.encode(value);
    let seconds: number;
    let counterKeys = scopeKeys;
    if (typeof option === 'object' && option !== null) {
      const { ttl, grace, tags, versions } = toWriteOptions(option);
      seconds = this.#ttl(ttl);
      // A value that never expires is never stale: it is stored as it is.
      if (grace > 0 && seconds > 0) {
        item = new GraceEnvelope(item, Date.now() + seconds * 1000);
        seconds += grace;
      }
      // Versions read earlier stand for the tags, alone; inside a namespace its counter is read now too.
      if (versions !== undefined && scopeKeys.length === 0 && stamps === undefined) stamps = versions.stamps;
      else if (tags.length > 0) counterKeys = [...scopeKeys, ...this.#tagKeys(tags)];
    } else seconds = this.#ttl(option);
    if (stamps === undefined && counterKeys.length > 0) return this.#stampedWrite(key, full, item, seconds, counterKeys, mode);
    return this.#put(key, full, item, seconds, stamps, mode);
  }

  async #stampedWrite(key: string, full: string, item: StoredItem, seconds: number, counterKeys: readonly string[], mode: WriteMode): Promise<WriteOutcome> {
    let stamps: Stamps;
    try {
      stamps = await this.#versions.stampsFor(counterKeys);
    } catch (error) {
      return this.#failure(mode, key, error);
    }
    return this.#put(key, full, item, seconds, stamps, mode);
  }

  #put(key: string, full: string, item: StoredItem, seconds: number, stamps: Stamps | undefined, mode: WriteMode): WriteOutcome | Promise<WriteOutcome> {
    if (stamps !== undefined) item = new StampedEnvelope(item, stamps);
    this.#reads.wrote(full, stamps);
    // The in-process backend answers a plain set synchronously; add and replace take the promise.
    if (this.#sync === undefined || mode !== 'set') return this.#writeLater(key, full, item, seconds, mode);
    let stored: boolean;
    try {
      stored = this.#sync.setSync(full, item, seconds);
    } catch (error) {
      return this.#failure('set', key, error);
    }
    return this.#stored(stored);
  }

  async #writeLater(key: string, full: string, item: StoredItem, seconds: number, mode: WriteMode): Promise<WriteOutcome> {
    let stored: boolean;
    this.#near?.wrote(full);
    const startedAt = this.listens('backend') ? performance.now() : -1;
    let ok = false;
    try {
      stored = await this.backend[mode](full, item, seconds);
      ok = true;
    } catch (error) {
      return this.#failure(mode, key, error);
    } finally {
      this.#near?.wrote(full);
      if (startedAt >= 0) this.emit('backend', { operation: mode, ms: performance.now() - startedAt, ok });
    }
    return this.#stored(stored);
  }

  #stored(stored: boolean): WriteOutcome {
    if (!stored) return NOT_STORED;
    this.#stats.sets++;
    return STORED;
  }

  async #readEntry<T>(key: string, call: RecomputeCall<unknown>): Promise<Entry<T>> {
    const pending = this.#readOutcome<T>(key, call.fresh, call.scope);
    const outcome = pending instanceof Promise ? await pending : pending;
    if (outcome.status === 'hit') return { kind: 'fresh', value: outcome.value };
    if (outcome.status === 'miss' && outcome.stale !== undefined) return { kind: 'stale', value: outcome.stale.value };
    this.#valueOf(outcome);
    return NO_ENTRY;
  }

  #miss(key: string): void {
    this.#stats.misses++;
    if (this.listens('miss')) this.emit('miss', { key });
  }

  // A value that is there but cannot be read back: a miss for the caller, an error for stats and listeners.
  #undecodable(key: string, error: LarderError): ReadOutcome<never> {
    this.#stats.misses++;
    this.#stats.errors++;
    this.emit('error', { operation: 'get', key, error });
    return { status: 'miss', undecodable: error };
  }

  /** A failed outcome for an availability error, counted and emitted once; anything else (usage, E_CLOSED) is rethrown. */
  #failure(operation: string, key: string | undefined, error: unknown): FailedOutcome {
    if (!isUnreadable(error) && !isAvailabilityError(error)) throw error;
    const failure = error instanceof Error ? error : new Error(String(error));
    this.#stats.errors++;
    this.emit('error', key === undefined ? { operation, error: failure } : { operation, key, error: failure });
    return { status: 'failed', error: failure };
  }

  /** A read outcome as the plain methods return it: the value, or undefined after the ignore-errors policy. */
  #valueOf<T>(outcome: ReadOutcome<T>): T | undefined {
    if (outcome.status === 'hit') return outcome.value;
    if (outcome.status === 'failed') this.#swallow('get', outcome.error);
    else if (outcome.undecodable !== undefined) this.#swallow('get', outcome.undecodable);
    return undefined;
  }

  /** The ignore-errors policy of the plain methods over an outcome's error: rethrow it, or log it (once per burst). */
  #swallow(operation: string, error: Error): void {
    if (!this.#ignoreErrors && !isUnreadable(error)) throw error;
    this.#failures.record(`${operation} failed on ${this.backend.name}: ${error.message}`);
  }

  /** Encodes and writes through `write`, under the ignore-errors policy; counts what was stored. */
  async #write<R extends boolean | undefined>(operation: string, key: string, value: unknown, write: (full: string, item: StoredItem) => Promise<R>): Promise<R | false> {
    const full = this.#key(key);
    const item = this.#serializer.encode(value);
    const stored = await this.#mutating([full], () => this.#attempt<R | false>(operation, key, false, () => write(full, item)));
    if (stored) this.#stats.sets++;
    return stored;
  }

  /** Runs a write of `fullKeys`, dropping their near entries when it starts and when it settles (a read it overtook cannot refill them). */
  async #mutating<T>(fullKeys: readonly string[], run: () => Promise<T>): Promise<T> {
    const near = this.#near;
    if (near === undefined) return run();
    for (const full of fullKeys) near.wrote(full);
    try {
      return await run();
    } finally {
      for (const full of fullKeys) near.wrote(full);
    }
  }

  async #attempt<T>(operation: string, key: string | undefined, fallback: T, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.#fail(operation, key, error);
      return fallback;
    }
  }

  #fail(operation: string, key: string | undefined, error: unknown): void {
    this.#swallow(operation, this.#failure(operation, key, error).error);
  }
}

const NO_ENTRY: Entry<never> = Object.freeze({ kind: 'none' });
const NO_KEYS: readonly string[] = Object.freeze([]);
const STORED: WriteOutcome = Object.freeze({ status: 'stored' });
const NOT_STORED: WriteOutcome = Object.freeze({ status: 'not-stored' });
const REMOVED: RemoveOutcome = Object.freeze({ status: 'removed' });
const EXTENDED: ExtendOutcome = Object.freeze({ status: 'extended' });
const ABSENT: RemoveOutcome & ExtendOutcome & ConditionalWriteOutcome = Object.freeze({ status: 'absent' });
const PRESENT: ConditionalWriteOutcome = Object.freeze({ status: 'present' });

/** Which backend call a write makes: a plain store, or one of the conditional ones (see `writeIf`). */
type WriteMode = 'set' | 'add' | 'replace';

/** The condition of `Cache.writeIf`: store only where nothing is (`absent`), or only over a value (`present`). */
export type WriteCondition = 'absent' | 'present';

// A stored value the backend cannot read back (a foreign chunk manifest) is reported as an
// undecodable value is, whatever ignoreErrors says.
function isUnreadable(error: unknown): error is LarderError {
  return error instanceof LarderError && error.code === 'E_DESERIALIZE';
}

function hasRecomputeOptions(options: RecomputeOptions): boolean {
  return options.grace !== undefined || options.staleIfError !== undefined || options.timeout !== undefined || options.lock !== undefined;
}

function hasSyncReads(backend: Backend): backend is Backend & SyncReads {
  const candidate = backend as Partial<SyncReads>;
  return typeof candidate.getSync === 'function' && typeof candidate.setSync === 'function';
}
