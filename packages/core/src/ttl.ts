import { InvalidArgumentError, InvalidOptionError } from './errors.js';

/** A TTL: seconds as a number, or a duration string such as `'90s'`, `'5m'`, `'2h'`, `'7d'`. */
export type Ttl = number | `${number}${'s' | 'm' | 'h' | 'd'}` | `${number}`;

/** memcached reads an expiry above this many seconds (30 days) as an absolute Unix time. */
export const MEMCACHED_RELATIVE_TTL_LIMIT = 2_592_000;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(\d+)\s*([smhd]?)$/;

/** Turns a TTL into whole seconds (0 = never expire); throws InvalidArgumentError on garbage. */
export function parseTtl(ttl: Ttl, what = 'ttl'): number {
  if (typeof ttl === 'number') {
    if (!Number.isFinite(ttl) || ttl < 0) {
      throw new InvalidArgumentError(`${what} must be a non-negative number of seconds, got ${ttl}`);
    }
    return Math.ceil(ttl);
  }
  const match = typeof ttl === 'string' ? DURATION.exec(ttl.trim()) : null;
  if (!match) {
    throw new InvalidArgumentError(`${what} must be seconds or a duration like '90s', '5m', '2h', '7d'; got ${JSON.stringify(ttl)}`);
  }
  return Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
}

/**
 * Reads a TTL option (seconds or a duration string) into whole seconds; throws an
 * InvalidOptionError naming `option`, with `where` (say, the route) added when given.
 */
export function parseTtlOption(option: string, value: unknown, where?: string): number {
  try {
    return parseTtl(value as Ttl, option);
  } catch (cause) {
    const problem = cause instanceof Error ? cause.message : String(cause);
    throw new InvalidOptionError(option, where === undefined ? problem : `${problem} (${where})`, { cause });
  }
}

/** The expiry word memcached expects: relative up to 30 days, absolute Unix time beyond. */
export function toMemcachedExpiry(seconds: number, nowMs: number = Date.now()): number {
  if (seconds <= MEMCACHED_RELATIVE_TTL_LIMIT) return seconds;
  return Math.floor(nowMs / 1000) + seconds;
}
