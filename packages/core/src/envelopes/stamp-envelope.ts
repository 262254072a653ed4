import { DeserializationError } from '../errors.js';
import { Flags } from '../values/flags.js';
import { isSafeKey } from '../keys.js';
import { NAMESPACE_COUNTER_PREFIX, TAG_COUNTER_PREFIX } from '../reserved-keys.js';
import type { StoredItem } from '../types/backend.js';

/** One version a value was written under: the backend key of a version counter and its value then. */
export interface Stamp {
  /** The full backend key of the version counter (a namespace's or a tag's). */
  readonly key: string;
  /** The counter's decimal text when the value was computed. */
  readonly version: string;
}

/** The versions a value was written under; it is current only while each counter still holds its version. */
export type Stamps = readonly Stamp[];

/**
 * The stored form of a value written under versions (version 1). A reader compares each stamp
 * with its counter's current value and treats any difference as a miss, so bumping a counter
 * invalidates every value stamped with it, in every process, without enumerating keys:
 *
 *   flags  = Flags.STAMPED (2048), alone
 *   byte 0 = version (1)
 *   byte 1 = number of stamps, 1..32
 *   then per stamp: key length (1 byte, 1..250), the key (ASCII), version length (1 byte, 1..20), the version (ASCII digits)
 *   then   = the value's own flags word, unsigned 32-bit big-endian (a grace envelope's, or the serializer's)
 *   then   = the value's own bytes
 *
 * Python clients read flags 2048 as bytes. Another version, a truncated envelope, bad lengths or
 * one nested in another is unreadable: a miss plus an E_DESERIALIZE event.
 */
export const STAMP_ENVELOPE_VERSION = 1;
/** Most stamps one value carries. */
export const MAX_STAMPS = 32;
const MAX_STAMP_KEY = 250;
const MAX_VERSION_LENGTH = 20;
const DIGITS = /^\d{1,20}$/;
/** What every namespace counter key holds (see namespace.ts). */
export const COUNTER_KEY_MARK = NAMESPACE_COUNTER_PREFIX;
/** What every tag counter key holds (see tags.ts); a stamp naming a key with neither mark is forged. */
export const TAG_COUNTER_MARK = TAG_COUNTER_PREFIX;

/** A stamped value whose bytes are made on first read of `value` (the memory backend keeps the object). */
export class StampedEnvelope implements StoredItem {
  readonly flags = Flags.STAMPED;
  readonly inner: StoredItem;
  readonly stamps: Stamps;
  #bytes: Buffer | undefined = undefined;

  constructor(inner: StoredItem, stamps: Stamps) {
    this.inner = inner;
    this.stamps = stamps;
  }

  /** The envelope's bytes, made once. */
  get value(): Buffer {
    if (this.#bytes === undefined) {
      const parts: Buffer[] = [Buffer.from([STAMP_ENVELOPE_VERSION, this.stamps.length])];
      for (const { key, version } of this.stamps) {
        parts.push(Buffer.from([key.length]), Buffer.from(key, 'latin1'), Buffer.from([version.length]), Buffer.from(version, 'latin1'));
      }
      const flags = Buffer.allocUnsafe(4);
      flags.writeUInt32BE(this.inner.flags >>> 0, 0);
      parts.push(flags, this.inner.value);
      this.#bytes = Buffer.concat(parts);
    }
    return this.#bytes;
  }
}

/** True when `stamps` can be written (checked where stamps are made, so a write never fails on them). */
export function isWritableStamp(stamp: Stamp): boolean {
  return isCounterKey(stamp.key) && DIGITS.test(stamp.version);
}

// A memcached-safe key (ASCII, no spaces or controls, at most 250 bytes) of a namespace or tag
// counter: a forged stamp cannot make a read send memcached a key it refuses, or read any other key.
function isCounterKey(key: string): boolean {
  return key.length <= MAX_STAMP_KEY && isSafeKey(key) && (key.includes(COUNTER_KEY_MARK) || key.includes(TAG_COUNTER_MARK));
}

/** True when a stored item is a stamped envelope (or claims to be one). */
export function isStamped(item: StoredItem): boolean {
  return (item.flags & Flags.STAMPED) !== 0;
}

/** The stamps and inner item of a stored envelope; throws DeserializationError when it is not one Larder can read. */
export function openStampedEnvelope(key: string, item: StoredItem): { inner: StoredItem; stamps: Stamps } {
  if (item instanceof StampedEnvelope) return item;
  const bytes = item.value;
  const unreadable = (why: string) => new DeserializationError(key, item.flags, { cause: new Error(`stamped envelope ${why}`) });
  if (item.flags !== Flags.STAMPED) throw unreadable('with other flag bits set');
  if (bytes.length < 2) throw unreadable('is truncated');
  if (bytes[0] !== STAMP_ENVELOPE_VERSION) throw unreadable(`of version ${bytes[0]} (this Larder reads ${STAMP_ENVELOPE_VERSION})`);
  const count = bytes[1]!;
  if (count < 1 || count > MAX_STAMPS) throw unreadable(`with ${count} stamps`);
  let at = 2;
  const stamps: Stamp[] = [];
  const field = (max: number): string => {
    const length = bytes[at];
    if (length === undefined || length < 1 || length > max || at + 1 + length > bytes.length) throw unreadable('is truncated or has a bad length');
    const text = bytes.toString('latin1', at + 1, at + 1 + length);
    at += 1 + length;
    return text;
  };
  for (let i = 0; i < count; i++) {
    const stampKey = field(MAX_STAMP_KEY);
    if (!isCounterKey(stampKey)) throw unreadable('names a key that is not a namespace or tag counter');
    const version = field(MAX_VERSION_LENGTH);
    if (!DIGITS.test(version)) throw unreadable('holds a version that is not decimal');
    stamps.push({ key: stampKey, version });
  }
  if (at + 4 > bytes.length) throw unreadable('is truncated');
  const innerFlags = bytes.readUInt32BE(at);
  if ((innerFlags & Flags.STAMPED) !== 0) throw unreadable('nested in another');
  return { inner: { value: bytes.subarray(at + 4), flags: innerFlags }, stamps };
}
