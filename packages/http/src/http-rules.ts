// The HTTP rules of response caching, as small functions over plain values (no Fastify types),
// so a framework-neutral engine can take them over (Django keeps the same split:
// django/utils/cache.py holds the rules, the middleware only calls them).

/** Request headers as Node gives them: lower-case names, a string or (for a few) an array. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Statuses never stored, whatever `statusCodes` says: a 206 is a part of a body and a 304 has
 * none; a 412 and a 416 answer the request's own preconditions or Range (If-Match, Range: a
 * client would make every other request get them); replaying any to another request would hand
 * it a broken, empty or failed page.
 */
export const NEVER_STORED_REASONS: ReadonlyMap<number, string> = new Map([
  [206, 'a 206 is part of a body'],
  [304, 'a 304 has no body'],
  [412, "a 412 answers the request's own preconditions"],
  [416, "a 416 answers the request's own Range"],
]);
/** The statuses of NEVER_STORED_REASONS. */
export const NEVER_STORED_STATUSES: ReadonlySet<number> = new Set(NEVER_STORED_REASONS.keys());

// no-cache (bare or with field names) means "revalidate before every use": with no revalidation
// here, storing it would serve it unrevalidated. private and no-store forbid shared storage.
const UNSTORABLE_DIRECTIVE = /(?:^|[\s,])(?:private|no-store|no-cache)(?:[\s,=]|$)/i;
// max-age=0 / s-maxage=0: "stale at once" (Django does not cache these either).
const ZERO_AGE_DIRECTIVE = /(?:^|[\s,])(?:max-age|s-maxage)\s*=\s*"?0+"?(?:[\s,]|$)/i;

/** Why a response was not stored, as counted per route in `viewCacheStats()` (`notStored`). */
export type NotStoredReason =
  | 'status'
  | 'set-cookie'
  | 'cache-control'
  | 'pragma'
  | 'vary-star'
  | 'encoding'
  | 'late-vary'
  | 'not-sent'
  | 'stream'
  | 'too-large'
  | 'tags-failed';

/** A response that may not be stored: the reason (counted) and what was seen (logged). */
export interface Refusal {
  readonly reason: NotStoredReason;
  readonly detail: string;
}

/**
 * Why a response with this status and these headers may not be stored; undefined when it may.
 * `byResponse` (freshness from the response): Cache-Control and Pragma are left to RFC 9111's
 * rules (see freshness.ts); a compressed body without `Vary: Accept-Encoding` is still refused, or
 * the encoding one client asked for would answer every other.
 */
export function refusalOf(status: number, header: (name: string) => unknown, statusCodes: ReadonlySet<number>, byResponse = false): Refusal | undefined {
  if (!statusCodes.has(status) || NEVER_STORED_STATUSES.has(status)) return { reason: 'status', detail: `status ${status}` };
  if (header('set-cookie') !== undefined) return { reason: 'set-cookie', detail: 'it sets a cookie' };
  // With freshness from the response, RFC 9111's rules judge Cache-Control and Pragma instead.
  if (!byResponse) {
    const control = header('cache-control');
    if (control !== undefined && (UNSTORABLE_DIRECTIVE.test(String(control)) || ZERO_AGE_DIRECTIVE.test(String(control)))) {
      return { reason: 'cache-control', detail: `cache-control: ${String(control)}` };
    }
    const pragma = header('pragma');
    if (pragma !== undefined && /no-cache/i.test(String(pragma))) return { reason: 'pragma', detail: 'pragma: no-cache' };
  }
  const vary = varyHeaderNames(header('vary'));
  if (vary === '*') return { reason: 'vary-star', detail: 'vary: *' };
  // A body compressed for one client is stored only per Accept-Encoding, never for everyone.
  const encoding = header('content-encoding');
  if (encoding !== undefined && String(encoding).trim().toLowerCase() !== 'identity' && !vary.includes('accept-encoding')) {
    return { reason: 'encoding', detail: `content-encoding: ${String(encoding)} without Vary: Accept-Encoding` };
  }
  return undefined;
}

/** Why a response with this status and these headers may not be stored, in words; undefined when it may (see `refusalOf`). */
export function whyNotStorable(status: number, header: (name: string) => unknown, statusCodes: ReadonlySet<number>): string | undefined {
  return refusalOf(status, header, statusCodes)?.detail;
}

/**
 * True when a request carries a body (a `Content-Length` other than 0, or any `Transfer-Encoding`):
 * a GET or HEAD with one ("fat GET") may be answered from its body, so it neither reads nor fills
 * a shared entry.
 */
export function carriesBody(headers: RequestHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && !/^\s*0+\s*$/.test(String(length));
}

/**
 * The request headers a response varies on, from its `Vary` header: lower-case, sorted, without
 * duplicates, so equal lists compare equal; `'*'` when it varies on everything (never stored).
 */
export function varyHeaderNames(vary: unknown): readonly string[] | '*' {
  if (vary === undefined || vary === null || vary === '') return NO_NAMES;
  const names = new Set<string>();
  for (const part of (Array.isArray(vary) ? vary.join(',') : String(vary)).split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '*') return '*';
    if (name !== '') names.add(name);
  }
  return names.size === 0 ? NO_NAMES : [...names].sort();
}

const NO_NAMES: readonly string[] = Object.freeze([]);

/** True when two normalised name lists (from `varyHeaderNames`) are the same. */
export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/**
 * The name under which the request's Host takes part in a variant list. Not a header name (a
 * token has no `:`), so no `Vary` header can name it; its value is `request.host`, the Host an
 * entry is stored for, which honours Fastify's trustProxy as the Host check does.
 */
export const HOST_VARIANT = ':host';

/** `names` with `HOST_VARIANT` added, kept sorted and unique. */
export function withHostVariant(names: readonly string[]): readonly string[] {
  return names.includes(HOST_VARIANT) ? names : [...names, HOST_VARIANT].sort();
}

/** The values of `names` in `headers` (`HOST_VARIANT` is `host`), one per name, null for an absent header. */
export function varyValues(names: readonly string[], headers: RequestHeaders, host: string): Array<string | null> {
  return names.map((name) => {
    if (name === HOST_VARIANT) return host;
    const value = headers[name];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  });
}

/** `existing` Vary header value with `name` added unless already named (or `*`). */
export function appendVary(existing: unknown, name: string): string {
  const current = existing === undefined || existing === null ? '' : Array.isArray(existing) ? existing.join(', ') : String(existing);
  const names = varyHeaderNames(current);
  if (names === '*' || names.includes(name.toLowerCase())) return current;
  return current.trim() === '' ? name : `${current}, ${name}`;
}

/** True when the request carries credentials of its own (`Authorization`), so its response is personal. */
export function hasCredentials(headers: RequestHeaders): boolean {
  return headers.authorization !== undefined;
}

/** The part of a @fastify/session (or express-session) session this looks at. */
interface IdentifiedSession {
  encryptedSessionId?: unknown;
  data?: unknown;
}

/**
 * True when the request carries a session of its own, so its response may show what that session
 * holds (Django adds `Vary: Cookie` when a view reads the session, for the same reason).
 *
 * - No session object (no session plugin, or none on this path): false.
 * - A @fastify/session session: true when one of the request's cookies holds its signed id, that is
 *   when it was restored from the store; a session made afresh for a guest (no cookie, a stale or
 *   forged one) is false, so guests keep sharing entries. The cookie's name does not matter.
 * - A @fastify/secure-session session (it has `data()`): true when it holds anything, that is when
 *   the request's cookie opened to a session with data.
 * - Any other session object: true when the request sends any cookie, since its id cannot be told.
 */
export function carriesSession(session: unknown, cookies: unknown, cookieHeader: string | undefined): boolean {
  if (session === undefined || session === null || typeof session !== 'object') return false;
  if (cookieHeader === undefined || cookieHeader === '') return false;
  const id = (session as IdentifiedSession).encryptedSessionId;
  if (typeof id !== 'string' || id === '') {
    // @fastify/secure-session: a guest's session (no cookie, or one that did not open) holds nothing.
    const data = (session as IdentifiedSession).data;
    if (typeof data === 'function') {
      const held: unknown = data.call(session);
      return held !== null && typeof held === 'object' && Object.keys(held).length > 0;
    }
    return true;
  }
  if (cookies === null || typeof cookies !== 'object') return true;
  for (const value of Object.values(cookies)) {
    // @fastify/session's cookiePrefix puts a fixed text before the id.
    if (typeof value === 'string' && value.endsWith(id)) return true;
  }
  return false;
}
