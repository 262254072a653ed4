import type { SessionCookieData } from './types.js';

/** How long a session should live in the cache: `ttl` whole seconds (0 = no expiry), or expired. */
export type SessionLifetime = { readonly expired: false; readonly ttl: number } | { readonly expired: true };

/**
 * The lifetime a session's cookie asks for: until `cookie.expires` (a Date or a date string),
 * else `cookie.maxAge` milliseconds from now, else `fallback` seconds. An expiry in the past,
 * or a `maxAge` of zero or less, is `{ expired: true }`. Seconds are rounded up, so a cookie
 * with half a second left still gets one second.
 */
export function sessionLifetime(cookie: SessionCookieData | null | undefined, fallback: number, now: number = Date.now()): SessionLifetime {
  const remainingMs = remainingMilliseconds(cookie, now);
  if (remainingMs === undefined) return { expired: false, ttl: fallback };
  if (remainingMs <= 0) return { expired: true };
  return { expired: false, ttl: Math.ceil(remainingMs / 1000) };
}

function remainingMilliseconds(cookie: SessionCookieData | null | undefined, now: number): number | undefined {
  if (cookie === null || typeof cookie !== 'object') return undefined;
  const expiresAt = toTime(cookie.expires);
  if (expiresAt !== undefined) return expiresAt - now;
  const maxAge = cookie.maxAge;
  if (typeof maxAge === 'number' && Number.isFinite(maxAge)) return maxAge;
  return undefined;
}

// express-session's Cookie may hold `expires: false`; an unparseable date counts as none.
function toTime(expires: unknown): number | undefined {
  let time: number;
  if (expires instanceof Date) time = expires.getTime();
  else if (typeof expires === 'string' || typeof expires === 'number') time = new Date(expires).getTime();
  else return undefined;
  return Number.isNaN(time) ? undefined : time;
}

/** What a read makes of a stored session's cookie: alive, expired, or alive with a stale `expires` (see `readLifetime`). */
export type ReadLifetime = 'alive' | 'expired' | 'rolled';

/**
 * Whether a session read from the cache is still alive by its cookie. A rolling cookie (one
 * with a positive `originalMaxAge`: both frameworks move its expiry on every request) is alive
 * while the cache holds it: a touch extended it in the cache without rewriting the `expires`
 * stored with it, which is then `rolled` (in the past, to be moved forward). Any other cookie is
 * `expired` once its `expires` (or `maxAge`) has passed.
 */
export function readLifetime(cookie: SessionCookieData, now: number = Date.now()): ReadLifetime {
  const rollingMs = cookie.originalMaxAge;
  if (typeof rollingMs === 'number' && Number.isFinite(rollingMs) && rollingMs > 0) {
    const expiresAt = toTime(cookie.expires);
    return expiresAt !== undefined && expiresAt <= now ? 'rolled' : 'alive';
  }
  return sessionLifetime(cookie, 1, now).expired ? 'expired' : 'alive';
}

/**
 * Until when (Unix seconds) a sealed session written now with `ttl` seconds to live stays valid:
 * its lifetime and half as much again (0: no limit, for a session that never expires). Touches
 * extend the session within that bound; past it the session is resealed. A sealed value put back
 * into the cache later (a replay, a restored dump) does not open after it.
 */
export function sealedUntil(ttl: number, now: number = Date.now()): number {
  if (ttl === 0) return 0;
  return Math.floor(now / 1000) + ttl + Math.ceil(ttl / 2);
}

/** Whether a touch giving `ttl` more seconds now stays within a seal valid until `until` (Unix seconds, 0: no limit). */
export function touchFitsSeal(until: number, ttl: number, now: number = Date.now()): boolean {
  return until === 0 || (ttl !== 0 && Math.ceil(now / 1000) + ttl <= until);
}
