import { deflateSync, inflateSync } from 'node:zlib';
import { DeserializationError, SerializationError } from './errors.js';
import { Flags } from './flags.js';
import type { StoredItem } from './types/backend.js';

/** Any value a Cache can store and give back with its type. */
export type CacheValue =
  | string
  | number
  | boolean
  | null
  | Buffer
  | Uint8Array
  | readonly CacheValue[]
  | { readonly [key: string]: CacheValue | undefined };

/** Turns values into bytes + flags and back. */
export interface Serializer {
  /** Encodes a value; throws SerializationError when it cannot be stored faithfully. */
  encode(value: unknown): StoredItem;
  /** Decodes bytes + flags; throws DeserializationError when it cannot. */
  decode(key: string, item: StoredItem): unknown;
}

/** Options of the default serializer. */
export interface FlagSerializerOptions {
  /** Values whose encoding is larger than this many bytes are zlib-compressed (default 16 KiB; 0 = never). */
  compressThreshold?: number;
}

const DEFAULT_COMPRESS_THRESHOLD = 16 * 1024;
// An item encoded here from an immutable value (string, number, boolean, null) carries that
// value under this symbol. A backend that keeps the item object itself (the memory backend)
// hands it back, and decoding is skipped; items read from the wire never carry it.
const DECODED = Symbol('larder.decoded');
type MemoItem = StoredItem & { [DECODED]?: unknown };

/** The default serializer: Python-compatible flags for text, integers and bytes, JSON otherwise. */
export class FlagSerializer implements Serializer {
  readonly #compressThreshold: number;

  constructor(options: FlagSerializerOptions = {}) {
    this.#compressThreshold = options.compressThreshold ?? DEFAULT_COMPRESS_THRESHOLD;
  }

  encode(value: unknown): StoredItem {
    const item = encodePlain(value);
    if (this.#compressThreshold > 0 && item.value.length > this.#compressThreshold) {
      const packed = deflateSync(item.value);
      if (packed.length < item.value.length) return { value: packed, flags: item.flags | Flags.ZLIB };
    }
    return item;
  }

  decode(key: string, item: StoredItem): unknown {
    if (DECODED in item) return (item as MemoItem)[DECODED];
    let bytes = item.value;
    let flags = item.flags;
    try {
      if (flags & Flags.ZLIB) {
        bytes = inflateSync(bytes);
        flags &= ~Flags.ZLIB;
      }
      return decodePlain(bytes, flags);
    } catch (cause) {
      throw new DeserializationError(key, item.flags, { cause });
    }
  }
}

function encodePlain(value: unknown): StoredItem {
  if (typeof value === 'string') return memo(Buffer.from(value, 'utf8'), Flags.TEXT, value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    return memo(Buffer.from(String(value), 'ascii'), Flags.LONG, value);
  }
  // Bytes are copied both ways so that a caller mutating its Buffer never changes the cache.
  if (Buffer.isBuffer(value)) return { value: Buffer.from(value), flags: Flags.BYTES };
  if (value instanceof Uint8Array) {
    return { value: Buffer.from(value), flags: Flags.UINT8ARRAY };
  }
  if (value === undefined) throw new SerializationError('undefined cannot be stored; delete the key or store null');
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new SerializationError(`${value} cannot be stored: JSON has no representation for it`);
  }
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    throw new SerializationError(`a ${typeof value} cannot be stored; convert it to a string or number first`);
  }
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    throw new SerializationError('value cannot be stored as JSON (circular or BigInt inside?)', { cause });
  }
  const bytes = Buffer.from(json, 'utf8');
  return value === null || typeof value === 'boolean' || typeof value === 'number' ? memo(bytes, Flags.JSON, value) : { value: bytes, flags: Flags.JSON };
}

function memo(value: Buffer, flags: number, decoded: unknown): MemoItem {
  return { value, flags, [DECODED]: decoded };
}

function decodePlain(bytes: Buffer, flags: number): unknown {
  switch (flags) {
    case Flags.BYTES:
      return Buffer.from(bytes);
    case Flags.TEXT:
      return bytes.toString('utf8');
    case Flags.INTEGER:
    case Flags.LONG:
      return parseInteger(bytes);
    case Flags.JSON:
      return JSON.parse(bytes.toString('utf8'));
    case Flags.UINT8ARRAY:
      return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    default:
      throw new Error(flags & Flags.PICKLE ? 'a Python pickle cannot be decoded' : `unknown flags ${flags}`);
  }
}

// memcached's incr may leave trailing spaces; Python writes plain decimal text.
function parseInteger(bytes: Buffer): number {
  const text = bytes.toString('ascii').trim();
  if (!/^-?\d+$/.test(text)) throw new Error(`not an integer: ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}
