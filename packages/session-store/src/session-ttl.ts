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
