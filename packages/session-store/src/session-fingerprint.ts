import { hash } from 'node:crypto';

// Cookie fields that move on every request of a rolling session without the session changing:
// @fastify/session and express-session recompute `expires` from maxAge, @fastify/session
// restores the previous expiry as `originalExpires`, plain cookies may carry `maxAge` (time left).
const MOVING_COOKIE_FIELDS = new Set(['expires', 'originalExpires', 'maxAge', '_expires']);

/**
 * The settings of a session cookie that do not move by themselves (path, domain, secure,
 * sameSite, httpOnly, originalMaxAge in seconds...), as one string: in the cookie's own order (a Cookie's
 * `toJSON` has a fixed one, and a stored cookie keeps it), undefined left out, values as JSON.
 * `cookie` is plain data (a Cookie's `toJSON()` or a stored cookie). Two cookies with the same
 * settings in another order differ here: that only costs a write.
 */
export function cookieSettings(cookie: Readonly<Record<string, unknown>>): string {
  let text = '';
  for (const name in cookie) {
    if (!Object.hasOwn(cookie, name) || MOVING_COOKIE_FIELDS.has(name)) continue;
    let value = cookie[name];
    if (value === undefined) continue;
    // express-session recomputes originalMaxAge from the clock whenever it moves the expiry
    // (expires - Date.now(), a millisecond short now and then): compared in whole seconds.
    if (name === 'originalMaxAge' && typeof value === 'number') value = Math.round(value / 1000);
    const json = value === null || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
    text += `${JSON.stringify(name)}:${json};`;
  }
  return text;
}

/**
 * What a request can change in a session, as a fixed-size digest (SHA-256, base64): the cookie's
 * settings and the JSON of every other property. Two sessions with equal fingerprints store the
 * same data apart from the cookie's expiry, so a session whose fingerprint is the one read at the
 * start of the request is unchanged and needs a touch, not a write.
 */
export function sessionFingerprint(settings: string, dataJson: string): string {
  return hash('sha256', `${settings}\n${dataJson}`, 'base64');
}
