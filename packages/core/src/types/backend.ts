/** What a backend stores for one key: opaque bytes and the 32-bit flags word beside them. */
export interface StoredItem {
  /** The encoded value. */
  readonly value: Buffer;
  /** The flags word (see DESIGN.md: 0 bytes, 4 integer, 8 zlib, 16 text, ...). */
  readonly flags: number;
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
  /** Optional (a cluster): true when the node that owns `key` is out of service, so a read of it answered elsewhere, a miss there, proves nothing. */
  routedAway?(key: string): boolean;
  /** Releases connections and timers; further calls reject with ClosedError. */
  close(): Promise<void>;
}
