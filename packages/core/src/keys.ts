import { createHash } from 'node:crypto';

/** Longest key memcached accepts, in bytes. */
export const MEMCACHED_MAX_KEY_LENGTH = 250;

// Printable ASCII without space is what memcached's text and binary protocols both accept.
const UNSAFE_CHARS = /[^\x21-\x7e]/g;
const HASHED_MARK = ':sha256:';
const HASH_HEX_LENGTH = 64;
const READABLE_PART = MEMCACHED_MAX_KEY_LENGTH - HASHED_MARK.length - HASH_HEX_LENGTH;

/**
 * Maps a full (prefixed) key to one memcached accepts. A key that already is safe (printable
 * ASCII, no whitespace, at most 250 bytes) is returned unchanged, so Python clients see the
 * same key. Any other key becomes a readable prefix of it plus `:sha256:` and the SHA-256 of
 * the whole key: deterministic, at most 250 bytes, and distinct keys stay distinct.
 */
export function toSafeKey(fullKey: string): string {
  if (isSafeKey(fullKey)) return fullKey;
  const digest = createHash('sha256').update(fullKey, 'utf8').digest('hex');
  const readable = fullKey.replace(UNSAFE_CHARS, '_').slice(0, READABLE_PART);
  return readable + HASHED_MARK + digest;
}

/** True when memcached would accept `key` as it is. */
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
