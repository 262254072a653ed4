/**
 * The flags word shared with Python clients (pylibmc, pymemcache, python-memcached).
 * Bits 0-4 follow their convention; Larder's own types use bits Python clients never set.
 */
export const Flags = {
  /** Raw bytes (Python `bytes`). */
  BYTES: 0,
  /** A Python pickle; Larder cannot decode it. */
  PICKLE: 1,
  /** A Python 2 `int` / pymemcache integer, as decimal text. */
  INTEGER: 2,
  /** A Python `long` / pylibmc integer, as decimal text. Larder writes integers with this. */
  LONG: 4,
  /** OR-ed in when the bytes are zlib-compressed. */
  ZLIB: 8,
  /** UTF-8 text (Python `str`). */
  TEXT: 16,
  /** Larder: JSON text (booleans, null, non-integer numbers, objects, arrays). */
  JSON: 1 << 8,
  /** Larder: bytes that were a plain Uint8Array rather than a Buffer. */
  UINT8ARRAY: 1 << 9,
  /** Larder: a grace envelope (a value with its logical expiry, see recompute/grace-envelope.ts); never OR-ed with other bits. */
  GRACE: 1 << 10,
  /** Larder: a stamped envelope (a value with the namespace versions it was written under, see versions/stamp-envelope.ts); alone. */
  STAMPED: 1 << 11,
} as const;
