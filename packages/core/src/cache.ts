import { MemoryBackend } from './backends/memory-backend.js';
import { CACHE_BRAND, CACHE_BRAND_VERSION } from './cache-brand.js';
import { checkBackend, checkBoolean, checkLogger, checkMilliseconds, checkOptionsObject, serializerFor } from './options/cache-option-checks.js';
import { CACHE_OPTIONS, type CacheOptions } from './options/cache-options.js';
import { InvalidArgumentError, InvalidOptionError } from './errors.js';
import type { DecodeMemo } from './values/decode-memo.js';
import { CacheEventEmitter } from './events.js';
import { FailureLog } from './failure-log.js';
import { toGetOrSetOptions, type GetOrSetOption } from './options/get-or-set-options.js';
import { Flights } from './recompute/flight.js';
import { DecodedFlights } from './recompute/decoded-flights.js';
import { getOrSet, type GetOrSetCall } from './recompute/get-or-set.js';
import { toDeleteOptions, type DeleteOptions } from './store/soft-delete.js';
import { NO_RECOMPUTE, optionFailure, toRecomputePolicy, type RecomputeOptions, type RecomputePolicy } from './recompute/recompute-options.js';
import { toDelta, toPairs, type CacheEntries } from './options/cache-arguments.js';
import { NearCache } from './near/near-cache.js';
import { ReadPath } from './store/read-path.js';
import { KeySpace } from './store/key-space.js';
import { Reporter, type CacheStats } from './store/reporter.js';
import { ABSENT, EXTENDED, NO_KEYS, REMOVED, STORED, WritePath } from './store/write-path.js';
import { toNearCacheSettings } from './near/near-options.js';
import { CacheNamespace, namespaceVersionKey } from './namespace.js';
import type { ReadScope } from './versions/read-scope.js';
import { isWritableStamp } from './envelopes/stamp-envelope.js';
import { TagVersions, toTags } from './versions/tags.js';
import { toSoftGrace, type InvalidateOptions } from './versions/invalidate-options.js';
import { VersionCounters } from './versions/version-counters.js';
import { toReadOptions, type ReadOptions } from './options/read-options.js';
import type { Serializer } from './values/serializer.js';
import { memoizeFunction, type Memoized } from './memoize/memoize.js';
import { checkMemoizeOptions, type MemoizeOptions } from './memoize/memoize-options.js';
import { parseTtlOption, type Ttl } from './ttl.js';
import type { Backend, SyncReads } from './types/backend.js';
import type { ConditionalWriteOutcome, ExtendOutcome, ReadOutcome, RemoveOutcome, WriteOutcome } from './types/outcomes.js';
import type { WriteOption } from './options/write-options.js';

/** A value read with its check-and-set token. */
export interface CasResult<T> {
  /** The value. */
  value: T;
  /** Pass this back to `cas()` unchanged. */
  cas: bigint;
}

/**
 * The cache facade: checks its options and every call's arguments, applies the ignore-errors
 * policy of the plain methods, and hands the work down: reads to the read path, writes to the
 * write path, getOrSet to the flights (store/, recompute/). Counters and events live in one
 * Reporter that those layers report into.
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
  /** The read-compute-write defaults from the options (all off unless given). */
  readonly recompute: RecomputePolicy;
  readonly #serializer: Serializer;
  readonly #reports: Reporter;
  readonly #keys: KeySpace;
  readonly #near: NearCache | undefined;
  readonly #versions: VersionCounters;
  readonly #reads: ReadPath;
  readonly #writes: WritePath;
  readonly #flights: Flights;

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
    this.#serializer = serializerFor(this.backend, options.serializer, options.compressThreshold);
    const ignoreErrors = checkBoolean('ignoreErrors', options.ignoreErrors) ?? true;
    const logger = checkLogger(options.logger) ?? console;
    const interval = checkMilliseconds('errorLogInterval', options.errorLogInterval) ?? 10_000;
    const { grace, staleIfError, factoryTimeout, lock } = options;
    this.recompute = toRecomputePolicy({ grace, staleIfError, timeout: factoryTimeout, lock }, NO_RECOMPUTE, (name, problem) =>
      optionFailure()(name === 'timeout' || name.startsWith('timeout.') ? `factory${name[0]!.toUpperCase()}${name.slice(1)}` : name, problem),
    );
    this.#reports = new Reporter(
      { listens: (name) => this.listens(name), emit: (name, event) => this.emit(name, event) },
      ignoreErrors,
      new FailureLog(logger, interval),
      new FailureLog(logger, interval, Date.now, 'larder refresh'),
      this.backend.name,
    );
    const sync = hasSyncReads(this.backend) ? this.backend : undefined;
    const near = options.near === undefined ? undefined : toNearCacheSettings(options.near);
    this.#near = near !== undefined && this.backend.capabilities.shared ? new NearCache(near) : undefined;
    this.#versions = new VersionCounters(this.backend, this.#near?.settings.checkIntervalMs ?? 0);
    this.#keys = new KeySpace(this.keyPrefix);
    const parts = { backend: this.backend, sync, near: this.#near, versions: this.#versions, serializer: this.#serializer, reports: this.#reports };
    this.#reads = new ReadPath(parts);
    this.#writes = new WritePath({ ...parts, keys: this.#keys, reads: this.#reads, defaultTtl: this.defaultTtl });
    this.#flights = new Flights(this.#writes);
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
    return this.#reports.valueOf(pending instanceof Promise ? await pending : pending);
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
    return this.#writes.outcome(key, value, ttl);
  }

  /**
   * Stores `value` only where nothing is (`'absent'`: memcached `add`) or only over a value that is
   * there (`'present'`: `replace`), with the options of `write`: `stored`, `present` or `absent`
   * (the condition did not hold), or `failed` with the backend's error (counted, emitted, never thrown).
   */
  async writeIf(key: string, value: unknown, condition: WriteCondition, ttl?: WriteOption): Promise<ConditionalWriteOutcome> {
    if (condition !== 'absent' && condition !== 'present') throw new InvalidArgumentError(`writeIf takes the condition 'absent' or 'present', got ${JSON.stringify(condition)}`);
    const outcome = await this.#writes.outcome(key, value, ttl, NO_KEYS, undefined, condition === 'absent' ? 'add' : 'replace');
    return outcome.status === 'not-stored' ? (condition === 'absent' ? PRESENT : ABSENT) : outcome;
  }

  /** Stores `value` for `ttl` (default: defaultTtl; or `{ ttl, grace, tags }`); false when the backend did not store it (see `ignoreErrors`). */
  async set(key: string, value: unknown, ttl?: WriteOption): Promise<boolean> {
    const pending = this.#writes.outcome(key, value, ttl);
    const outcome = pending instanceof Promise ? await pending : pending;
    if (outcome.status === 'failed') this.#reports.swallow('set', outcome.error);
    return outcome === STORED;
  }

  /** Stores only if `key` is absent; true when stored. */
  async add(key: string, value: unknown, ttl?: Ttl): Promise<boolean> {
    return this.#writes.plain('add', key, value, (full, item) => this.backend.add(full, item, this.#writes.ttl(ttl)));
  }

  /** Stores only if `key` is present; true when stored. */
  async replace(key: string, value: unknown, ttl?: Ttl): Promise<boolean> {
    return this.#writes.plain('replace', key, value, (full, item) => this.backend.replace(full, item, this.#writes.ttl(ttl)));
  }

  /** Deletes `key`: `removed`, `absent`, or `failed` with the backend's error (counted, emitted as `delete`, not logged, never thrown). */
  async remove(key: string): Promise<RemoveOutcome> {
    return this.#writes.remove(key);
  }

  /** Deletes `key` (`{ soft: true }`: marks it stale instead, see DeleteOptions); true when it existed, false when absent or failed (see `ignoreErrors`). */
  async delete(key: string, options?: DeleteOptions): Promise<boolean> {
    const outcome = await this.#deleteOutcome(key, options);
    if (outcome.status === 'failed') this.#reports.swallow('delete', outcome.error);
    return outcome === REMOVED;
  }

  /** The values of the keys found, by key; absent keys (and values of an invalidated tag or cleared namespace) are left out. */
  async getMany<T = unknown>(keys: readonly string[]): Promise<Record<string, T>> {
    return this.#reads.many<T>(keys, this.#keys.keys('getMany', keys));
  }

  /** Stores every entry with one TTL; resolves to the keys that were not stored. */
  async setMany(entries: CacheEntries, ttl?: Ttl): Promise<string[]> {
    const pairs = toPairs(entries);
    const encoded = pairs.map(([key, value]) => [this.#keys.key(key), this.#serializer.encode(value)] as const);
    const seconds = this.#writes.ttl(ttl);
    const allKeys = encoded.map(([full]) => full);
    const failedFull = await this.#writes.mutating(allKeys, () => this.#writes.attempt('setMany', undefined, allKeys, () => this.backend.setMany(encoded, seconds)));
    const failed = new Set(failedFull);
    this.#reports.counts.sets += pairs.length - failed.size;
    return pairs.filter((_, i) => failed.has(encoded[i]![0])).map(([key]) => key);
  }

  /** Deletes every key; resolves to the keys that existed. */
  async deleteMany(keys: readonly string[]): Promise<string[]> {
    const fullKeys = this.#keys.keys('deleteMany', keys);
    const deleted = new Set(await this.#writes.mutating(fullKeys, () => this.#writes.attempt('deleteMany', undefined, [], () => this.backend.deleteMany(fullKeys))));
    this.#reports.counts.deletes += deleted.size;
    return keys.filter((_, i) => deleted.has(fullKeys[i]!));
  }

  /** Adds `delta` (default 1) to an integer value; undefined when absent. Negative deltas decrement. */
  async incr(key: string, delta = 1): Promise<number | undefined> {
    const amount = toDelta(delta);
    const full = this.#keys.key(key);
    const op = amount < 0n ? 'decr' : 'incr';
    const result = await this.#writes.mutating([full], () =>
      this.#writes.attempt(op, key, undefined, () => (amount < 0n ? this.backend.decr(full, -amount) : this.backend.incr(full, amount))),
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
    return this.#writes.extend(key, ttl);
  }

  /** Gives `key` a new TTL without rewriting it; true when the key exists, false when absent or failed (see `ignoreErrors`). */
  async touch(key: string, ttl: Ttl): Promise<boolean> {
    const outcome = await this.extend(key, ttl);
    if (outcome.status === 'failed') this.#reports.swallow('touch', outcome.error);
    return outcome === EXTENDED;
  }

  /** The value of `key` with a CAS token for `cas()`; undefined when absent. */
  async gets<T = unknown>(key: string): Promise<CasResult<T> | undefined> {
    const full = this.#keys.key(key);
    const item = await this.#writes.attempt('gets', key, undefined, () => this.backend.gets(full));
    const value = this.#reports.valueOf(this.#reads.decode(key, item));
    return item && value !== undefined ? { value: value as T, cas: item.cas } : undefined;
  }

  /** Stores if unchanged since `gets`: true stored, false changed since (or failed), undefined absent. */
  async cas(key: string, value: unknown, cas: bigint, ttl?: Ttl): Promise<boolean | undefined> {
    if (typeof cas !== 'bigint') throw new InvalidArgumentError('cas token must be the bigint that gets() returned');
    return this.#writes.plain('cas', key, value, (full, item) => this.backend.cas(full, item, cas, this.#writes.ttl(ttl)));
  }

  /** Removes every item of the backend (all prefixes: memcached has no per-prefix flush). */
  async clear(): Promise<boolean> {
    this.#near?.clear();
    try {
      return await this.#writes.attempt('clear', undefined, false, async () => {
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
    return new TagVersions(checked, await this.#versions.stampsFor(this.#keys.tagKeys(checked)));
  }

  /**
   * Makes every value written with one of `tags` a miss, in every process: one `incr` of each tag's
   * version counter (in parallel), no key enumerated. This process's near entries carrying a tag
   * go at once; another process's within its near `checkInterval` (at once without a near cache).
   * With `{ soft: true, grace }` the values become stale instead: plain reads miss them, getOrSet
   * and the response cache serve them for `grace` while one refresh runs (a marker beside each
   * counter, see the core README's "Tags"). True when every counter was bumped (or absent: then
   * no current value carries it), false when the backend failed (see `ignoreErrors`: false
   * rethrows). Bad tags or options reject with E_INVALID_ARGUMENT / E_INVALID_OPTION.
   */
  async invalidateTags(tags: readonly string[], options?: InvalidateOptions): Promise<boolean> {
    const softGrace = toSoftGrace(options, this.recompute.graceSeconds);
    if (!Array.isArray(tags)) throw new InvalidArgumentError(`invalidateTags: tags must be an array of strings, got ${tags === null ? 'null' : typeof tags}`);
    const keys = this.#keys.tagKeys(toTags(tags, 'invalidateTags', Infinity));
    if (keys.length === 0) return true;
    try {
      await this.#versions.invalidate(keys, softGrace);
      return true;
    } catch (error) {
      this.#reports.fail('invalidateTags', undefined, error);
      return false;
    } finally {
      // Never served fresh again (their versions are behind now); dropped, so a soft one is read stale from the backend.
      this.#near?.forgetStamped(new Set(keys));
    }
  }

  /**
   * A namespace of this cache: its keys are `name:` + key, and its `clear()` makes every value
   * in it a miss in every process (a version counter in the backend; see CacheNamespace).
   */
  namespace(name: string): CacheNamespace {
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('a namespace name is a non-empty string');
    const versionKey = this.#keys.internal(namespaceVersionKey(name));
    // A key so long that the safe-key step hashed the counter mark away could not be told from a forged stamp.
    if (!isWritableStamp({ key: versionKey, version: '0' })) throw new InvalidArgumentError('a namespace name and key prefix this long leave no readable counter key: shorten them');
    const keys: readonly string[] = [versionKey];
    const readScope: ReadScope = { keys, since: Infinity, stamps: undefined };
    return new CacheNamespace(name, {
      read: <T>(key: string, fresh: boolean) => this.#readOutcome<T>(key, fresh, readScope),
      write: async (key, value, ttl) => this.#writes.outcome(key, value, ttl, keys),
      getOrSet: (key, factory, option) => this.#getOrSet(key, factory, option, keys),
      remove: (key, options) => this.#deleteOutcome(key, options),
      bump: async () => {
        try {
          await this.#versions.bump(versionKey);
        } finally {
          this.#near?.forgetStamped(new Set(keys));
        }
      },
      swallow: (operation, error) => this.#reports.swallow(operation, error),
      failure: (operation, error) => this.#reports.failure(operation, undefined, error),
    });
  }

  // `scopeKeys`: the namespace's counter, if any; the call's tags add theirs.
  async #getOrSet<T>(key: string, factory: () => T | Promise<T>, option: GetOrSetOption<T> | undefined, scopeKeys: readonly string[]): Promise<T> {
    const full = this.#keys.key(key);
    if (typeof factory !== 'function') throw new InvalidArgumentError(`getOrSet needs a factory function, got ${typeof factory}`);
    const options = toGetOrSetOptions(option);
    const policy = !hasRecomputeOptions(options) ? this.recompute : toRecomputePolicy(options, this.recompute, (name, problem) => new InvalidArgumentError(`getOrSet option ${name} ${problem}`));
    const tags = toTags(options.tags, 'getOrSet');
    const keys = tags.length === 0 ? scopeKeys : [...scopeKeys, ...this.#keys.tagKeys(tags)];
    let scope: ReadScope | undefined;
    if (keys.length > 0) {
      const since = this.#versions.ticket();
      try {
        // Taken before the factory runs: a value computed across a clear or an invalidation does not outlive it.
        scope = { keys, since, stamps: await this.#versions.stampsFor(keys) };
      } catch (error) {
        // Without the versions nothing can be stored safely: the value is computed, not cached.
        this.#reports.fail('getOrSet', key, error);
        return factory();
      }
    }
    const fresh = options.fresh ?? false;
    const call: GetOrSetCall<T> = { ttlSeconds: this.#writes.ttl(options.ttl), policy, force: options.force ?? false, shouldStore: options.shouldStore, fresh, scope };
    // Callers share a run only when they would read alike: a fresh caller never gets a near value
    // through a plain one's run, and a namespace's caller after a clear never joins a run from before it
    // (a safe key holds no line feed, so these names never meet a plain key's).
    let flight = full;
    if (scope !== undefined) flight += `\n${scope.stamps?.map((stamp) => `${stamp.key}=${stamp.version}`).join(',') ?? ''}`;
    if (fresh) flight += '\nfresh';
    return getOrSet(this.#flights, flight, { key, full, policy, read: () => this.#reads.entry<T>(key, full, fresh, call.scope, policy) }, call, this.#writes, factory);
  }

  /**
   * `memo.decode` of the value of `key` (as `get` reads it), or undefined when absent, expired,
   * undecodable or unreachable (see `ignoreErrors`). A read of the stored item `memo` last decoded
   * at this key (see DecodeMemo) skips the serializer and the decode. Counted and emitted as `get` is.
   */
  async readDecoded<R>(key: string, memo: DecodeMemo<R>, options?: ReadOptions): Promise<R | undefined> {
    const entry = await this.#reads.decodedEntry(key, this.#keys.key(key), memo, options !== undefined && toReadOptions(options));
    return entry === undefined || entry.stale ? undefined : entry.value;
  }

  /**
   * getOrSet in two phases, over values decoded through `memo`, for a computation that is not one
   * function (a web handler running between two hooks: the HTTP response cache): a synchronous
   * `peek`, a `read` that tells stale from fresh, and `open`, which answers fresh, stale (refresh
   * started), wait, or lead with `settle` / `abandon`, on getOrSet's own flights and lock.
   */
  flights<R>(memo: DecodeMemo<R>): DecodedFlights<R> {
    return new DecodedFlights(this.#keys, this.#reads, this.#flights, memo);
  }

  /** `fn` with its results cached in this cache by a hash of its arguments (see `memoize`). */
  memoize<Args extends unknown[], Result>(fn: (...args: Args) => Result, options: Omit<MemoizeOptions<Args, Result>, 'cache'> = {}): Memoized<Args, Result> {
    checkMemoizeOptions(options, false);
    return memoizeFunction(fn, { ...options, cache: this });
  }

  /** Counters since creation: a fresh snapshot, synchronous (they are kept in memory), as every Larder `stats()` is. */
  stats(): CacheStats {
    const near = this.#near;
    return { ...this.#reports.counts, near: near === undefined ? undefined : { items: near.items, bytes: near.bytes }, backend: this.backend.name };
  }

  /** Closes the backend, once the near cache's background refills under way have settled. */
  async close(): Promise<void> {
    await this.#reads.drain();
    await this.backend.close();
  }

  /** The backend key for a caller's key: a reserved prefix escaped (see reserved-keys.ts), the key prefix, then made memcached-safe. */
  backendKey(key: string): string {
    return this.#keys.key(key);
  }

  // A delete's outcome: removed, or marked stale with `{ soft: true }` (options checked first).
  #deleteOutcome(key: string, options: DeleteOptions | undefined): Promise<RemoveOutcome> {
    const { soft, graceSeconds } = toDeleteOptions(options, this.recompute.graceSeconds);
    return soft ? this.#writes.soften(key, graceSeconds) : this.remove(key);
  }

  // With a synchronous backend (memory) or a near hit a read answers without a promise, so the
  // wrappers add no await of their own to the hot path.
  #readOutcome<T>(key: string, fresh = false, scope?: ReadScope): ReadOutcome<T> | Promise<ReadOutcome<T>> {
    return this.#reads.outcome<T>(key, this.#keys.key(key), fresh, scope);
  }
}

const PRESENT: ConditionalWriteOutcome = Object.freeze({ status: 'present' });

/** The condition of `Cache.writeIf`: store only where nothing is (`absent`), or only over a value (`present`). */
export type WriteCondition = 'absent' | 'present';

function hasRecomputeOptions(options: RecomputeOptions): boolean {
  return options.grace !== undefined || options.staleIfError !== undefined || options.timeout !== undefined || options.lock !== undefined;
}

function hasSyncReads(backend: Backend): backend is Backend & SyncReads {
  const candidate = backend as Partial<SyncReads>;
  return typeof candidate.getSync === 'function' && typeof candidate.setSync === 'function';
}
