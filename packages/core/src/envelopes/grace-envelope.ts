import { DeserializationError } from '../errors.js';
import { Flags } from '../values/flags.js';
import type { StoredItem } from '../types/backend.js';

/**
 * The stored form of a value written with grace (version 1). memcached keeps it for ttl + grace;
 * the envelope says when its ttl ends, so a reader can tell fresh from stale:
 *
 *   flags  = Flags.GRACE (1024), alone
 *   byte 0 = version (1)
 *   1..8   = logical expiry, Unix time in milliseconds, unsigned 64-bit big-endian (the writer's clock)
 *   9..12  = the value's own flags word, unsigned 32-bit big-endian (never GRACE itself)
 *   13..   = the value's own bytes, as the serializer made them (compressed or not)
 *
 * Python clients read flags 1024 as bytes and leave them alone. An envelope of another version,
 * a truncated one or one that nests another is unreadable: a miss plus an E_DESERIALIZE event.
 */
export const GRACE_ENVELOPE_VERSION = 1;
/** Bytes before the value's own bytes. */
export const GRACE_HEADER_BYTES = 13;

/** A value with the time its ttl ends. */
export interface OpenedEnvelope {
  /** The value as the serializer stored it. */
  readonly inner: StoredItem;
  /** Unix time in ms after which the value is stale. */
  readonly expiresAt: number;
}

/**
 * An envelope as a StoredItem whose bytes are made on first read of `value`: the memory backend
 * keeps the object itself, so a read there never parses the header.
 */
export class GraceEnvelope implements StoredItem, OpenedEnvelope {
  readonly flags = Flags.GRACE;
  readonly inner: StoredItem;
  readonly expiresAt: number;
  #bytes: Buffer | undefined = undefined;

  constructor(inner: StoredItem, expiresAt: number) {
    this.inner = inner;
    this.expiresAt = expiresAt;
  }

  /** The envelope's bytes, made once. */
  get value(): Buffer {
    if (this.#bytes === undefined) {
      const header = Buffer.allocUnsafe(GRACE_HEADER_BYTES);
      header.writeUInt8(GRACE_ENVELOPE_VERSION, 0);
      header.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.expiresAt))), 1);
      header.writeUInt32BE(this.inner.flags >>> 0, 9);
      this.#bytes = Buffer.concat([header, this.inner.value]);
    }
    return this.#bytes;
  }
}

/** True when a stored item is a grace envelope (or claims to be one). */
export function isGraceEnvelope(item: StoredItem): boolean {
  return (item.flags & Flags.GRACE) !== 0;
}

/** The value and expiry inside a stored envelope; throws DeserializationError when it is not one Larder can read. */
export function openGraceEnvelope(key: string, item: StoredItem): OpenedEnvelope {
  if (item instanceof GraceEnvelope) return item;
  const bytes = item.value;
  const unreadable = (why: string) => new DeserializationError(key, item.flags, { cause: new Error(`grace envelope ${why}`) });
  if (item.flags !== Flags.GRACE) throw unreadable('with other flag bits set');
  if (bytes.length < GRACE_HEADER_BYTES) throw unreadable(`of ${bytes.length} bytes is truncated`);
  const version = bytes.readUInt8(0);
  if (version !== GRACE_ENVELOPE_VERSION) throw unreadable(`of version ${version} (this Larder reads ${GRACE_ENVELOPE_VERSION})`);
  const innerFlags = bytes.readUInt32BE(9);
  if ((innerFlags & Flags.GRACE) !== 0) throw unreadable('nested in another');
  const expiresAt = Number(bytes.readBigUInt64BE(1));
  return { inner: { value: bytes.subarray(GRACE_HEADER_BYTES), flags: innerFlags }, expiresAt };
}
