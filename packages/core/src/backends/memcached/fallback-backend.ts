import { InvalidOptionError } from '../../errors.js';
import { OptionNames } from '../../option-names.js';
import { parseTtlOption, type Ttl } from '../../ttl.js';
import type { Backend, BackendCapabilities, CasItem, StoredItem } from '../../types/backend.js';

/** Options of a FallbackBackend: moving to a new cluster without a cold start. */
export interface FallbackBackendOptions {
  /** The new cluster: every write goes here, and every read first. */
  primary: Backend;
  /** The old cluster, still warm: reads that miss the primary try it; it takes deletes, never writes. */
  fallback: Backend;
  /**
   * Seconds (or `'5m'`) a value found only on the fallback is kept on the primary, where it is
   * copied with `add`, so a newer write there always wins (default 300; memcached cannot tell
   * its remaining TTL on the binary protocol). Grace and stamped entries keep their own expiry.
   */
  copyTtl?: Ttl;
  /** Told when the fallback fails on a read (the read is then a miss of the primary) or a copy fails. */
  onFallbackError?: (error: unknown) => void;
}

const FALLBACK_OPTION_NAMES = new OptionNames('FallbackBackend', ['primary', 'fallback', 'copyTtl', 'onFallbackError']);

/**
 * Two clusters as one, for a migration (pymemcache's FallbackClient, made safe for deletes):
 * reads that miss the new cluster try the old one and copy what they find to the new one;
 * writes go to the new one only; deletes and flushes go to both, so a deleted value cannot come
 * back from the old cluster. Counters, touch and replace that miss on the new cluster copy the
 * old value first. Closing it closes both backends.
 */
export class FallbackBackend implements Backend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  readonly #primary: Backend;
  readonly #fallback: Backend;
  readonly #copyTtl: number;
  readonly #onError: ((error: unknown) => void) | undefined;

  constructor(options: FallbackBackendOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'FallbackBackend needs { primary, fallback }');
    FALLBACK_OPTION_NAMES.check(options);
    for (const name of ['primary', 'fallback'] as const) {
      if (typeof options[name]?.get !== 'function') throw new InvalidOptionError(name, 'must be a Backend');
    }
    if (options.onFallbackError !== undefined && typeof options.onFallbackError !== 'function') throw new InvalidOptionError('onFallbackError', 'must be a function');
    this.#primary = options.primary;
    this.#fallback = options.fallback;
    this.#copyTtl = parseTtlOption('copyTtl', options.copyTtl ?? 300);
    this.#onError = options.onFallbackError;
    const p = this.#primary.capabilities;
    const f = this.#fallback.capabilities;
    this.capabilities = {
      shared: p.shared,
      maxValueSize: Math.min(p.maxValueSize, f.maxValueSize),
      touch: p.touch,
      reservedFlags: p.reservedFlags | f.reservedFlags,
    };
    this.name = `fallback(${this.#primary.name} <- ${this.#fallback.name})`;
  }

  async connect(): Promise<void> {
    await Promise.all([this.#primary.connect(), this.#fallback.connect()]);
  }

  async get(key: string): Promise<StoredItem | undefined> {
    return (await this.#primary.get(key)) ?? (await this.#copyFromFallback(key));
  }

  async getMany(keys: readonly string[]): Promise<Map<string, StoredItem>> {
    const found = await this.#primary.getMany(keys);
    const missing = keys.filter((key) => !found.has(key));
    if (missing.length === 0) return found;
    let old: Map<string, StoredItem>;
    try {
      old = await this.#fallback.getMany(missing);
    } catch (error) {
      this.#onError?.(error);
      return found;
    }
    await Promise.all([...old].map(([key, item]) => this.#copy(key, item)));
    for (const [key, item] of old) found.set(key, item);
    return found;
  }

  async gets(key: string): Promise<CasItem | undefined> {
    const item = await this.#primary.gets(key);
    if (item !== undefined) return item;
    // The CAS token must be the primary's: copy, then read it there.
    return (await this.#copyFromFallback(key)) === undefined ? undefined : this.#primary.gets(key);
  }

  set(key: string, item: StoredItem, ttl: number): Promise<boolean> { return this.#primary.set(key, item, ttl); }
  setMany(entries: ReadonlyArray<readonly [string, StoredItem]>, ttl: number): Promise<string[]> { return this.#primary.setMany(entries, ttl); }
  add(key: string, item: StoredItem, ttl: number): Promise<boolean> { return this.#primary.add(key, item, ttl); }
  cas(key: string, item: StoredItem, cas: bigint, ttl: number): Promise<boolean | undefined> { return this.#primary.cas(key, item, cas, ttl); }

  replace(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    return this.#warmOnMiss(key, () => this.#primary.replace(key, item, ttl), (done) => !done);
  }

  touch(key: string, ttl: number): Promise<boolean> {
    return this.#warmOnMiss(key, () => this.#primary.touch(key, ttl), (done) => !done);
  }

  incr(key: string, delta: bigint): Promise<bigint | undefined> {
    return this.#warmOnMiss(key, () => this.#primary.incr(key, delta), (value) => value === undefined);
  }

  decr(key: string, delta: bigint): Promise<bigint | undefined> {
    return this.#warmOnMiss(key, () => this.#primary.decr(key, delta), (value) => value === undefined);
  }

  /** Deletes on both clusters (a failure of either rejects): true when either held the key. */
  async delete(key: string): Promise<boolean> {
    const [p, f] = await Promise.all([this.#primary.delete(key), this.#fallback.delete(key)]);
    return p || f;
  }

  async deleteMany(keys: readonly string[]): Promise<string[]> {
    const [p, f] = await Promise.all([this.#primary.deleteMany(keys), this.#fallback.deleteMany(keys)]);
    return [...new Set([...p, ...f])];
  }

  /** Flushes both clusters: a value left on the old one would come back on the next miss. */
  async flush(): Promise<void> {
    await Promise.all([this.#primary.flush(), this.#fallback.flush()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.#primary.close(), this.#fallback.close()]);
  }

  async #warmOnMiss<T>(key: string, call: () => Promise<T>, missed: (result: T) => boolean): Promise<T> {
    const result = await call();
    if (!missed(result) || (await this.#copyFromFallback(key)) === undefined) return result;
    return call();
  }

  /** Reads `key` from the fallback and copies it to the primary; undefined (and reported) when the fallback fails. */
  async #copyFromFallback(key: string): Promise<StoredItem | undefined> {
    let item: StoredItem | undefined;
    try {
      item = await this.#fallback.get(key);
    } catch (error) {
      this.#onError?.(error);
      return undefined;
    }
    if (item !== undefined) await this.#copy(key, item);
    return item;
  }

  async #copy(key: string, item: StoredItem): Promise<void> {
    try {
      await this.#primary.add(key, item, this.#copyTtl);
    } catch (error) {
      this.#onError?.(error);
    }
  }
}
