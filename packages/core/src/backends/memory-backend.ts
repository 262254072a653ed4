import { constants as bufferConstants } from 'node:buffer';
import { LRUCache } from 'lru-cache';
import { ClosedError, InvalidOptionError, NotNumericError, ValueTooLargeError } from '../errors.js';
import { OptionNames, type ListsExactly } from '../option-names.js';
import { itemByteLength } from '../text-item.js';
import type { Backend, BackendCapabilities, CasItem, StoredItem, SyncReads } from '../types/backend.js';
import { applyDelta, parseCounter } from './counter.js';

/** Options of the in-memory backend. */
export interface MemoryBackendOptions {
  /** Most items kept; the least recently used go first (default 10,000). Memory grows with the items held, not with this bound. */
  maxItems?: number;
  /** Most bytes kept, counting keys and values (default 256 MiB). */
  maxBytes?: number;
  /** Largest single value in bytes (default: the smaller of 32 MiB and maxBytes; at most `buffer.constants.MAX_LENGTH`). */
  maxValueSize?: number;
  /** Clock in milliseconds, for tests that move time by hand (default `performance.now`). */
  now?: () => number;
}

// The item object is kept as handed in (the Cache's serializer may have attached data to it),
// with its size counted once. The CAS token is a plain number (a BigInt per write costs more
// than the rest of the entry); `gets` hands it out as the bigint the contract promises.
interface Entry {
  readonly item: StoredItem;
  readonly size: number;
  readonly cas: number;
}

const MEMORY_OPTIONS = ['maxItems', 'maxBytes', 'maxValueSize', 'now'] as const;
const memoryOptionsListed: ListsExactly<(typeof MEMORY_OPTIONS)[number], keyof MemoryBackendOptions> = true;
void memoryOptionsListed;
const MEMORY_OPTION_NAMES = new OptionNames('MemoryBackend', MEMORY_OPTIONS);
const ENTRY_OVERHEAD = 64;
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
const DEFAULT_MAX_VALUE = 32 * 1024 * 1024;

/**
 * A process-local backend on lru-cache with per-key TTL and item/byte bounds. The item bound
 * is enforced here rather than by lru-cache's `max`, which preallocates arrays of that size
 * at construction: so `maxItems: 1e9` costs nothing until items arrive.
 */
export class MemoryBackend implements Backend, SyncReads {
  readonly name = 'memory';
  readonly capabilities: BackendCapabilities;
  readonly #lru: LRUCache<string, Entry>;
  readonly #maxItems: number;
  #nextCas = 1;
  // The options of the last TTL stored with, reused while the TTL stays the same.
  #ttlSeconds = -1;
  #ttlOptions: { ttl: number } = { ttl: 0 };
  #closed = false;

  constructor(options: MemoryBackendOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'MemoryBackend options must be an object');
    MEMORY_OPTION_NAMES.check(options);
    if (options.now !== undefined && typeof options.now !== 'function') throw new InvalidOptionError('now', 'must be a function returning milliseconds');
    const maxItems = options.maxItems ?? 10_000;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    requirePositiveInteger('maxItems', maxItems);
    requirePositiveInteger('maxBytes', maxBytes);
    const maxValueSize = options.maxValueSize ?? Math.min(DEFAULT_MAX_VALUE, maxBytes - ENTRY_OVERHEAD);
    requirePositiveInteger('maxValueSize', maxValueSize);
    if (maxValueSize > bufferConstants.MAX_LENGTH) {
      throw new InvalidOptionError('maxValueSize', `must be at most ${bufferConstants.MAX_LENGTH} bytes (the largest Buffer), got ${maxValueSize}`);
    }
    this.capabilities = { shared: false, maxValueSize, touch: true, reservedFlags: 0 };
    this.#maxItems = maxItems;
    const now = options.now;
    this.#lru = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      sizeCalculation: (entry, key) => entry.size + key.length + ENTRY_OVERHEAD,
      // lru-cache reads the clock at most once a millisecond by default; a hand-moved clock
      // (tests) must be read on every call.
      ...(now ? { perf: { now }, ttlResolution: 0 } : {}),
    });
  }

  async connect(): Promise<void> {
    this.#open();
  }

  async get(key: string): Promise<StoredItem | undefined> {
    return this.getSync(key);
  }

  getSync(key: string): StoredItem | undefined {
    this.#open();
    return this.#lru.get(key)?.item;
  }

  setSync(key: string, item: StoredItem, ttl: number): boolean {
    this.#open();
    this.#store(key, item, this.#checkedSize(key, item), ttl);
    return true;
  }

  async getMany(keys: readonly string[]): Promise<Map<string, StoredItem>> {
    this.#open();
    const found = new Map<string, StoredItem>();
    for (const key of keys) {
      const entry = this.#lru.get(key);
      if (entry) found.set(key, entry.item);
    }
    return found;
  }

  async set(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    return this.setSync(key, item, ttl);
  }

  async setMany(entries: ReadonlyArray<readonly [string, StoredItem]>, ttl: number): Promise<string[]> {
    this.#open();
    const sizes = entries.map(([key, item]) => this.#checkedSize(key, item));
    entries.forEach(([key, item], i) => this.#store(key, item, sizes[i]!, ttl));
    return [];
  }

  async add(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    this.#open();
    if (this.#lru.has(key)) return false;
    this.#store(key, item, this.#checkedSize(key, item), ttl);
    return true;
  }

  async replace(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    this.#open();
    if (!this.#lru.has(key)) return false;
    this.#store(key, item, this.#checkedSize(key, item), ttl);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    this.#open();
    return this.#lru.delete(key);
  }

  async deleteMany(keys: readonly string[]): Promise<string[]> {
    this.#open();
    return keys.filter((key) => this.#lru.delete(key));
  }

  async incr(key: string, delta: bigint): Promise<bigint | undefined> {
    return this.#arith(key, delta, 1);
  }

  async decr(key: string, delta: bigint): Promise<bigint | undefined> {
    return this.#arith(key, delta, -1);
  }

  async touch(key: string, ttl: number): Promise<boolean> {
    this.#open();
    const entry = this.#lru.get(key);
    if (!entry) return false;
    this.#lru.set(key, entry, this.#ttl(ttl));
    return true;
  }

  async gets(key: string): Promise<CasItem | undefined> {
    this.#open();
    const entry = this.#lru.get(key);
    return entry && { value: entry.item.value, flags: entry.item.flags, cas: BigInt(entry.cas) };
  }

  async cas(key: string, item: StoredItem, cas: bigint, ttl: number): Promise<boolean | undefined> {
    this.#open();
    const entry = this.#lru.get(key);
    if (!entry) return undefined;
    if (BigInt(entry.cas) !== cas) return false;
    this.#store(key, item, this.#checkedSize(key, item), ttl);
    return true;
  }

  async flush(): Promise<void> {
    this.#open();
    this.#lru.clear();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#lru.clear();
  }

  #arith(key: string, delta: bigint, direction: 1 | -1): bigint | undefined {
    this.#open();
    const entry = this.#lru.get(key);
    if (!entry) return undefined;
    const current = parseCounter(entry.item.value);
    if (current === undefined) throw new NotNumericError(key);
    const next = applyDelta(current, delta, direction);
    // Like memcached: the value changes, the flags and the expiry stay.
    const value = Buffer.from(next.toString(), 'ascii');
    const updated: Entry = { item: { value, flags: entry.item.flags }, size: value.length, cas: this.#nextCas++ };
    this.#lru.set(key, updated, { noUpdateTTL: true });
    return next;
  }

  // The size check of checkValueSize, reading a TextItem's length without encoding its bytes.
  #checkedSize(key: string, item: StoredItem): number {
    const size = itemByteLength(item);
    if (size > this.capabilities.maxValueSize) throw new ValueTooLargeError(key, size, this.capabilities.maxValueSize);
    return size;
  }

  #store(key: string, item: StoredItem, size: number, ttl: number): void {
    const lru = this.#lru;
    // A new key in a full cache makes room by dropping the least recently used one.
    if (lru.size >= this.#maxItems && !lru.has(key)) lru.pop();
    const entry: Entry = { item, size, cas: this.#nextCas++ };
    lru.set(key, entry, this.#ttl(ttl));
  }

  // lru-cache only reads the options object, so one per distinct TTL in a row is enough.
  #ttl(seconds: number): { ttl: number } {
    if (seconds !== this.#ttlSeconds) {
      this.#ttlOptions = { ttl: seconds * 1000 };
      this.#ttlSeconds = seconds;
    }
    return this.#ttlOptions;
  }

  #open(): void {
    if (this.#closed) throw new ClosedError('MemoryBackend');
  }
}

function requirePositiveInteger(option: string, value: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionError(option, `must be a positive integer, got ${value}`);
  }
}
