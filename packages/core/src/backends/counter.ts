const U64 = 1n << 64n;
const DECIMAL = /^\d{1,20}$/;

/** Parses a counter as memcached does: 1 to 20 decimal digits (trailing padding allowed). */
export function parseCounter(bytes: Buffer): bigint | undefined {
  const text = bytes.toString('latin1').trimEnd();
  if (!DECIMAL.test(text)) return undefined;
  const n = BigInt(text);
  return n < U64 ? n : undefined;
}

/** memcached's arithmetic: incr wraps at 2^64, decr floors at 0. */
export function applyDelta(current: bigint, delta: bigint, direction: 1 | -1): bigint {
  if (direction === 1) return (current + delta) % U64;
  return current > delta ? current - delta : 0n;
}
