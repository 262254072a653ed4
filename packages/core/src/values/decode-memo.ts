import { ownedItem } from './owned-item.js';
import { itemByteLength, TextItem } from '../text-item.js';
import type { StoredItem } from '../types/backend.js';
import { InvalidOptionError } from '../errors.js';
import { OptionNames } from '../option-names.js';

const BOUNDS = new OptionNames('DecodeMemo', ['maxBytes', 'maxEntryBytes']);

/** Bounds of a `DecodeMemo`. */
export interface DecodeMemoBounds {
  /** Bytes held at most, estimated from the stored items (default 8 MiB). */
  maxBytes?: number;
  /** Items larger than this are decoded on every read and never held (default 1 MiB). */
  maxEntryBytes?: number;
}

interface Remembered<R> {
  readonly item: StoredItem;
  readonly result: R;
  readonly bytes: number;
}

// Map entry and the key beside the item: a rough upper bound.
const ENTRY_OVERHEAD = 256;

/**
 * What `decode` made of the value last read at each backend key, for `Cache.readDecoded`: a read
 * of the same stored item skips both the serializer and `decode`. "The same" is the same item
 * object (the memory backend hands back the item it was given, until it is overwritten) or, for a
 * backend that makes a new item per read (memcached), equal flags and bytes. Bounded in bytes,
 * oldest first out; `decode` must be pure (its result is shared by every read of that item).
 */
export class DecodeMemo<R> {
  /** Turns a cache value (as `get` returns it) into the caller's form. */
  readonly decode: (value: unknown) => R;
  readonly #recent = new Map<string, Remembered<R>>();
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  #bytes = 0;

  constructor(decode: (value: unknown) => R, bounds: DecodeMemoBounds = {}) {
    if (bounds === null || typeof bounds !== 'object') throw new InvalidOptionError('bounds', 'DecodeMemo bounds must be an object');
    BOUNDS.check(bounds);
    this.decode = decode;
    this.#maxBytes = bounds.maxBytes ?? 8 * 1024 * 1024;
    this.#maxEntryBytes = Math.min(bounds.maxEntryBytes ?? 1024 * 1024, this.#maxBytes);
  }

  /** Bytes held now (estimated). */
  get bytes(): number {
    return this.#bytes;
  }

  /** The remembered result for `item` read at `fullKey`, or `NOT_REMEMBERED`. */
  recall(fullKey: string, item: StoredItem): R | typeof NOT_REMEMBERED {
    const recent = this.#recent.get(fullKey);
    if (recent === undefined) return NOT_REMEMBERED;
    if (sameItem(recent.item, item)) return recent.result;
    this.#forget(fullKey, recent.bytes);
    return NOT_REMEMBERED;
  }

  /**
   * Holds `result` as what `item` at `fullKey` decodes to (unless too large), and returns it.
   * Counted: the item, and the cache value it decodes to (`value`, which a compressed item can
   * far outgrow) as the size of `result` too, which is mostly made of it.
   */
  remember(fullKey: string, item: StoredItem, value: unknown, result: R): R {
    const bytes = itemByteLength(item) + valueBytes(value) + fullKey.length * 2 + ENTRY_OVERHEAD;
    if (bytes > this.#maxEntryBytes) return result;
    const previous = this.#recent.get(fullKey);
    if (previous !== undefined) this.#forget(fullKey, previous.bytes);
    for (const [oldest, entry] of this.#recent) {
      if (this.#bytes + bytes <= this.#maxBytes) break;
      this.#forget(oldest, entry.bytes);
    }
    this.#recent.set(fullKey, { item: ownedItem(item), result, bytes });
    this.#bytes += bytes;
    return result;
  }

  #forget(fullKey: string, bytes: number): void {
    this.#recent.delete(fullKey);
    this.#bytes -= bytes;
  }
}

/**
 * `DecodeMemo.recall`'s answer when nothing is remembered for that item. A registered symbol, so a
 * Cache and a DecodeMemo from two copies of @larder/core agree on it.
 */
export const NOT_REMEMBERED: unique symbol = Symbol.for('larder.decode-memo.not-remembered');

// Text at 2 bytes a character (V8's widest), bytes as they are; other values as their stored item (counted already).
function valueBytes(value: unknown): number {
  if (typeof value === 'string') return value.length * 2;
  if (Buffer.isBuffer(value)) return value.length;
  return 0;
}

function sameItem(held: StoredItem, item: StoredItem): boolean {
  if (held === item) return true;
  if (held.flags !== item.flags) return false;
  // Comparing two TextItems by text never makes their bytes.
  if (held instanceof TextItem && item instanceof TextItem) return held.text === item.text;
  return held.value.equals(item.value);
}
