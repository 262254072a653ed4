import { constants as bufferConstants } from 'node:buffer';
import { deflateSync, inflateSync } from 'node:zlib';
import { DeserializationError, InvalidOptionError, LarderError, SerializationError } from '../errors.js';
import { Flags } from './flags.js';
import { findJsonInfidelity, isJsonFaithful, type JsonInfidelity } from './json-fidelity.js';
import { OptionNames } from '../option-names.js';
import { itemByteLength, TextItem } from '../text-item.js';
import type { StoredItem } from '../types/backend.js';

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
  /**
   * Largest encoded value in bytes before compression (default 32 MiB; a Cache passes its
   * backend's `maxValueSize`). Compressed values read back are inflated up to this and no
   * further, so a zip bomb is an undecodable value; a larger value is not compressed, so the
   * backend refuses it with E_VALUE_TOO_LARGE instead of storing what could not be read back.
   * Above `buffer.constants.MAX_LENGTH` (the largest Buffer) it is treated as that.
   */
  maxValueSize?: number;
}

const SERIALIZER_OPTIONS = new OptionNames('FlagSerializer', ['compressThreshold', 'maxValueSize']);
const DEFAULT_COMPRESS_THRESHOLD = 16 * 1024;
const DEFAULT_MAX_VALUE_SIZE = 32 * 1024 * 1024;

/**
 * The default serializer: Python-compatible flags for text (16), safe integers (4) and
 * Buffers (0), a Larder flag for Uint8Arrays, JSON under a Larder flag for everything else.
 * Only values JSON gives back with their type are accepted: a Date, Map, Set, RegExp, typed
 * array, Buffer inside an object, class instance without its own `toJSON`, NaN, Infinity,
 * function or symbol anywhere in the value, or undefined inside an array, is refused with a
 * SerializationError (E_SERIALIZE) naming the type and where it is (`Date at .user.born`),
 * never stored to come back as a string or a plain object. Convert such values first (a
 * Date to `toISOString()` or a number, a Map to `Object.fromEntries`, a Set to an array).
 * A value whose `toJSON` gives undefined (or throws) is E_SERIALIZE too. An object member
 * holding undefined is left out, as JSON does (it reads back undefined either way), and -0 is
 * stored as the integer 0 and reads back 0 from every backend.
 */
export class FlagSerializer implements Serializer {
  readonly #compressThreshold: number;
  readonly #maxValueSize: number;

  constructor(options: FlagSerializerOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'FlagSerializer options must be an object');
    SERIALIZER_OPTIONS.check(options);
    this.#compressThreshold = options.compressThreshold ?? DEFAULT_COMPRESS_THRESHOLD;
    if (typeof this.#compressThreshold !== 'number' || !Number.isSafeInteger(this.#compressThreshold) || this.#compressThreshold < 0) {
      throw new InvalidOptionError('compressThreshold', `must be a whole number of bytes, 0 or more (0 = never compress), got ${describe(options.compressThreshold)}`);
    }
    this.#maxValueSize = options.maxValueSize ?? DEFAULT_MAX_VALUE_SIZE;
    if (typeof this.#maxValueSize !== 'number' || !Number.isSafeInteger(this.#maxValueSize) || this.#maxValueSize <= 0) {
      throw new InvalidOptionError('maxValueSize', `must be a positive whole number of bytes, got ${describe(options.maxValueSize)}`);
    }
  }

  encode(value: unknown): StoredItem {
    const item = encodePlain(value);
    const threshold = this.#compressThreshold;
    // UTF-8 takes at most 3 bytes per UTF-16 unit, so short text is not even counted.
    if (threshold === 0 || (item instanceof TextItem && item.text.length * 3 <= threshold)) return item;
    const length = itemByteLength(item);
    if (length > threshold && length <= this.#maxValueSize) {
      const packed = deflateSync(item.value);
      if (packed.length < item.value.length) return { value: packed, flags: item.flags | Flags.ZLIB };
    }
    return item;
  }

  decode(key: string, item: StoredItem): unknown {
    if (item instanceof TextItem && item.hasDecoded) return item.decoded;
    let bytes = item.value;
    let flags = item.flags;
    try {
      if (flags & Flags.ZLIB) {
        // No Buffer is longer than MAX_LENGTH, and zlib refuses a larger maxOutputLength outright.
        bytes = inflateSync(bytes, { maxOutputLength: Math.min(this.#maxValueSize, bufferConstants.MAX_LENGTH) });
        flags &= ~Flags.ZLIB;
      }
      return decodePlain(bytes, flags);
    } catch (cause) {
      throw new DeserializationError(key, item.flags, { cause });
    }
  }
}

// Text, integers and JSON are encoded as TextItems: their bytes are made only when a backend
// reads them (the memory backend never does). One encoded from an immutable value (string,
// number, boolean, null) also carries that value: a backend that keeps the item object itself
// (the memory backend) hands it back, and decoding is skipped; items read from the wire never
// carry it.
function encodePlain(value: unknown): StoredItem {
  if (typeof value === 'string') return new TextItem(value, Flags.TEXT, true, value);
  // Decimal digits and a sign: the same bytes in ASCII and UTF-8. -0 is the text `0` and the
  // value 0 (`-0 + 0`), so every backend gives back 0, as memcached and Python do.
  if (typeof value === 'number' && Number.isSafeInteger(value)) return new TextItem(String(value), Flags.LONG, true, value + 0);
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
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    throw new SerializationError('value cannot be stored as JSON (circular, a BigInt inside, or a toJSON that threw)', { cause });
  }
  // A toJSON that gives undefined, a function or a symbol: JSON has no text for the value.
  if (json === undefined) throw new SerializationError('value cannot be stored: its toJSON gave undefined, a function or a symbol, which JSON has no text for');
  // JSON.stringify has refused cycles and BigInts by now, so the walk always ends.
  if (typeof value === 'object' && value !== null) refuseUnfaithful(value);
  const immutable = value === null || typeof value === 'boolean' || typeof value === 'number';
  return new TextItem(json, Flags.JSON, immutable, immutable ? value : undefined);
}

function refuseUnfaithful(value: object): void {
  let found: JsonInfidelity | undefined;
  try {
    if (isJsonFaithful(value)) return;
    found = findJsonInfidelity(value);
  } catch (cause) {
    throw new SerializationError('value is nested too deeply to be checked', { cause });
  }
  if (!found) return;
  const where = found.path === '' ? '' : ` at ${found.path}`;
  const article = /^[aeiou]/i.test(found.type) ? 'an' : 'a';
  throw new SerializationError(
    `${article} ${found.type}${where} cannot be stored: JSON would give it back as another type. ` +
      'Convert it to a string, number, array or plain object first (or give its class a toJSON).',
  );
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
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
      throw new LarderError('E_DESERIALIZE', flags & Flags.PICKLE ? 'a Python pickle cannot be decoded' : `unknown flags ${flags}`);
  }
}

// memcached's incr may leave trailing spaces; Python writes plain decimal text.
function parseInteger(bytes: Buffer): number {
  const text = bytes.toString('ascii').trim();
  if (!/^-?\d+$/.test(text)) throw new LarderError('E_DESERIALIZE', `not an integer: ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}
