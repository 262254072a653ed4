/** What a backend stores for one key: opaque bytes and the 32-bit flags word beside them. */
export interface StoredItem {
  /** The encoded value. */
  readonly value: Buffer;
  /** The flags word (see DESIGN.md: 0 bytes, 4 integer, 8 zlib, 16 text, ...). */
  readonly flags: number;
  /**
   * The server's own verdict on freshness, when it gave one (memcached meta): true = stale
   * (invalidated with `md I`, or past its ttl by the server's clock), false = fresh. Absent: the
   * reader decides (a grace envelope's expiry).
   */
  readonly stale?: boolean;
}

/** An item read together with its check-and-set token. */
export interface CasItem extends StoredItem {
  /** Opaque token; pass it back to `cas` unchanged. */
  readonly cas: bigint;
}

/**
 * An in-process backend may also answer synchronously; the Cache then skips a promise per
 * call. Results and errors are exactly those of the async methods.
 */
export interface SyncReads {
  /** `get` without the promise. */
  getSync(key: string): StoredItem | undefined;
  /** `set` without the promise. */
  setSync(key: string, item: StoredItem, ttl: number): boolean;
}

/** What one read with the recompute token found (see ServerGrace.readOrLock). */
export interface LockingRead {
  /** The value, `stale` set by the server's verdict; undefined on a miss or a placeholder. */
  readonly item: StoredItem | undefined;
  /** `won`: this caller holds the key's recompute token (W); `taken`: another caller does (Z); `none`: nobody. */
  readonly token: 'won' | 'taken' | 'none';
  /** The item's CAS, to release a placeholder this caller made (0 when absent). */
  readonly cas: bigint;
}

/**
 * Optional capability (memcached's meta protocol): the lock and grace done by the server, in the
 * read itself. A cold miss creates a placeholder and hands one caller the token in one round
 * trip; a value past its ttl (by the server's clock) or invalidated hands one caller the refresh.
 */
export interface ServerGrace {
  /**
   * Reads `key` and its token: on a miss with `lockSeconds` > 0 a
   * placeholder living `lockSeconds` is made and this caller wins; a value whose remaining TTL is
   * under `graceSeconds` (or invalidated) is stale and one caller wins its refresh.
   */
  readOrLock(key: string, lockSeconds: number, graceSeconds: number): Promise<LockingRead>;
  /**
   * Lets a won token go, if the item is still the one `cas` names (nothing was stored since): a
   * placeholder is deleted; a stale value hands its token to the next reader (`md I C<cas>`).
   */
  release(key: string, cas: bigint, placeholder: boolean): Promise<void>;
  /** Marks `key` stale, kept `ttl` seconds more (`md I T`): readers under grace get it while one refreshes; false when absent. */
  invalidate(key: string, ttl: number): Promise<boolean>;
}

/** What a backend can and cannot do, so callers and tests can adapt. */
export interface BackendCapabilities {
  /** Values survive a restart of this process (true for memcached). */
  readonly shared: boolean;
  /** Largest value the backend accepts, in bytes. */
  readonly maxValueSize: number;
  /** `touch` changes the TTL without rewriting the value. */
  readonly touch: boolean;
  /** Flag bits the backend uses itself; stored flags must leave them clear (0 for most). */
  readonly reservedFlags: number;
}

/**
 * The storage contract: bytes + flags + TTL per key. A backend knows nothing of
 * serialization, key prefixes or memoize. TTLs are relative seconds, 0 = never expire.
 * Availability failures reject with a `LarderError` (E_CONNECTION, E_TIMEOUT, E_AUTH, ...);
 * results such as "not stored" or "absent" are resolved values, never rejections.
 */
export interface Backend {
  /** Short human name for logs, e.g. `memory` or `memcached(127.0.0.1:11211)`. */
  readonly name: string;
  /** What this backend supports. */
  readonly capabilities: BackendCapabilities;
  /** Opens connections and checks credentials; rejects with AuthError on bad credentials. */
  connect(): Promise<void>;
  /** Reads one item; undefined when absent. */
  get(key: string): Promise<StoredItem | undefined>;
  /** Reads many items; the map holds only the keys found. */
  getMany(keys: readonly string[]): Promise<Map<string, StoredItem>>;
  /** Stores unconditionally; true when stored. */
  set(key: string, item: StoredItem, ttl: number): Promise<boolean>;
  /** Stores many; resolves to the keys that were not stored. */
  setMany(entries: ReadonlyArray<readonly [string, StoredItem]>, ttl: number): Promise<string[]>;
  /** Stores only if absent; true when stored. */
  add(key: string, item: StoredItem, ttl: number): Promise<boolean>;
  /** Stores only if present; true when stored. */
  replace(key: string, item: StoredItem, ttl: number): Promise<boolean>;
  /** Deletes; true when the key existed. */
  delete(key: string): Promise<boolean>;
  /** Deletes many; resolves to the keys that existed and were deleted. */
  deleteMany(keys: readonly string[]): Promise<string[]>;
  /** Adds `delta` to a decimal value (wrapping at 2^64); undefined when absent. */
  incr(key: string, delta: bigint): Promise<bigint | undefined>;
  /** Subtracts `delta`, flooring at 0; undefined when absent. */
  decr(key: string, delta: bigint): Promise<bigint | undefined>;
  /** Sets a new TTL; true when the key exists. */
  touch(key: string, ttl: number): Promise<boolean>;
  /** Reads an item with its CAS token; undefined when absent. */
  gets(key: string): Promise<CasItem | undefined>;
  /** Stores if unchanged since `gets`: true stored, false changed since, undefined absent. */
  cas(key: string, item: StoredItem, cas: bigint, ttl: number): Promise<boolean | undefined>;
  /** Removes every item. */
  flush(): Promise<void>;
  /** Optional (memcached meta): the lock and grace done by the server (see ServerGrace). */
  readonly serverGrace?: ServerGrace | undefined;
  /** Optional (a cluster): true when the node that owns `key` is out of service, so a read of it answered elsewhere, a miss there, proves nothing. */
  routedAway?(key: string): boolean;
  /** Releases connections and timers; further calls reject with ClosedError. */
  close(): Promise<void>;
}
