import { createHash } from 'node:crypto';
import { InvalidArgumentError } from './errors.js';

/** Longest key memcached accepts, in bytes. */
export const MEMCACHED_MAX_KEY_LENGTH = 250;

// Printable ASCII without space is what memcached's text and binary protocols both accept.
const UNSAFE_CHARS = /[^\x21-\x7e]/g;
// A lone surrogate: UTF-8 turns every one of them into U+FFFD, so such keys are hashed from
// their UTF-16 code units instead, under a marker of their own.
const LONE_SURROGATE = /\p{Surrogate}/u;
/** Every key Larder derives (hashed keys, chunk keys) contains this; toSafeKey hashes literal keys that do. */
export const HASHED_MARK = ':sha256:';
const HASHED_UTF16_MARK = ':sha256:u16:';
const HASH_HEX_LENGTH = 64;

/**
 * Maps a full (prefixed) key to one memcached accepts, injectively: two different keys never
 * map to one backend key. A safe key (printable ASCII, no whitespace, 1 to 250 bytes) that
 * does not contain `:sha256:` is returned unchanged, so Python clients see the same key.
 * Every other key becomes a readable prefix of it, then `:sha256:` and the SHA-256 of its
 * UTF-8 bytes; a key holding a lone surrogate (which UTF-8 cannot carry) gets `:sha256:u16:`
 * and the SHA-256 of its UTF-16 code units instead. Hashed keys always contain `:sha256:` and
 * literal keys never do (a literal containing it is hashed too), and the two hashed forms end
 * differently, so no literal key can equal a hashed one and hashed keys differ as their
 * digests do. The result is deterministic and at most 250 bytes. A non-string throws an
 * InvalidArgumentError (E_INVALID_ARGUMENT).
 */
export function toSafeKey(fullKey: string): string {
  if (typeof fullKey !== 'string') throw new InvalidArgumentError(`a key must be a string, got ${fullKey === null ? 'null' : typeof fullKey}`);
  if (isSafeKey(fullKey) && !fullKey.includes(HASHED_MARK)) return fullKey;
  const wellFormed = !LONE_SURROGATE.test(fullKey);
  const mark = wellFormed ? HASHED_MARK : HASHED_UTF16_MARK;
  const digest = createHash('sha256')
    .update(wellFormed ? Buffer.from(fullKey, 'utf8') : Buffer.from(fullKey, 'utf16le'))
    .digest('hex');
  const readable = fullKey.replace(UNSAFE_CHARS, '_').slice(0, MEMCACHED_MAX_KEY_LENGTH - mark.length - HASH_HEX_LENGTH);
  return readable + mark + digest;
}

/** True when memcached would accept `key` as it is (toSafeKey still hashes one containing `:sha256:`). */
export function isSafeKey(key: string): boolean {
  const length = key.length;
  if (length === 0 || length > MEMCACHED_MAX_KEY_LENGTH) return false;
  // A plain loop: this runs on every cache call and beats a regular expression here.
  for (let i = 0; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}
