// RFC 9111 for a shared cache, as small pure functions over a response's status and headers:
// whether it may be stored, how long it is fresh (s-maxage, max-age, Expires, heuristics), its
// age when received, and what it allows once stale (stale-while-revalidate, stale-if-error,
// must-revalidate). The response cache's `freshness: 'response'` mode calls them; nothing here
// knows a framework or the cache.

/** A response header lookup: lower-case name to what the framework holds (string, number, array, undefined). */
export type HeaderLookup = (name: string) => unknown;

/** What RFC 9111 lets a shared cache do with one response, worked out when it is received. */
export interface ResponseFreshness {
  /** How long it is fresh from its generation, ms (0: stale at once). */
  readonly lifetimeMs: number;
  /** Its age when received (RFC 9111 4.2.3 corrected initial age), ms; Infinity for an Age header that does not parse. */
  readonly initialAgeMs: number;
  /** `no-cache`: stored, but revalidated before every use. */
  readonly noCache: boolean;
  /** `must-revalidate`, `proxy-revalidate` or `s-maxage`: never served stale. */
  readonly mustRevalidate: boolean;
  /** `stale-while-revalidate=N`, ms: served stale this long past freshness while it is refreshed. */
  readonly staleWhileRevalidateMs: number;
  /** `stale-if-error=N`, ms: served stale this long past freshness when a refresh fails. */
  readonly staleIfErrorMs: number;
  /** It carries a validator (ETag or Last-Modified), so a stale copy can be revalidated with a conditional request. */
  readonly validated: boolean;
}

/** Why a response may not be stored by a shared cache. */
export interface NotStorable {
  readonly notStorable: string;
}

/** How `responseFreshness` judges: heuristics (off by default) and whether the request carried Authorization. */
export interface FreshnessOptions {
  /** Heuristic freshness for responses with Last-Modified and no explicit freshness: 10% of their age, at most a day (default false). */
  readonly heuristic?: boolean;
  /** The request sent `Authorization` (RFC 9111 3.5: stored only with public, s-maxage or must-revalidate). */
  readonly authorized?: boolean;
  /**
   * Read `Surrogate-Control` (W3C Edge Architecture): `true` for its untargeted directives, a
   * device token for those targeted at it too (`max-age=60;larder`). Its `no-store` is not stored;
   * its `max-age` is the freshness, over Cache-Control and Expires, whose no-store, private and
   * no-cache then address the caches downstream only (default: not read).
   */
  readonly surrogate?: true | string | undefined;
}

/** Status codes this cache understands (RFC 9110's), for `must-understand`. */
const UNDERSTOOD = new Set([200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426, 500, 501, 502, 503, 504, 505]);
/** Statuses heuristically cacheable (RFC 9110 15.1). */
const HEURISTIC_STATUSES = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]);
/** The most heuristic freshness given, ms. */
const MAX_HEURISTIC_MS = 24 * 3600 * 1000;

/**
 * What a shared cache may do with a response of `status` and these headers, received at `now`
 * (Unix ms): a NotStorable (private, no-store, an unknown status with must-understand, an
 * Authorization request without public / s-maxage / must-revalidate, or nothing that makes it
 * fresh nor a validator to revalidate it with), else its freshness.
 */
export function responseFreshness(status: number, header: HeaderLookup, now: number, options: FreshnessOptions = {}): ResponseFreshness | NotStorable {
  const surrogate = options.surrogate === undefined ? undefined : surrogateControl(header('surrogate-control'), options.surrogate);
  if (surrogate?.has('no-store')) return { notStorable: 'surrogate-control: no-store' };
  const surrogateMaxAge = surrogate?.has('max-age') ? (deltaSeconds(surrogate.get('max-age')) ?? 0) : undefined;
  const cc = cacheControl(header('cache-control'));
  if (surrogateMaxAge !== undefined) for (const name of ['no-store', 'private', 'no-cache']) cc.delete(name);
  if (cc.has('must-understand')) {
    if (!UNDERSTOOD.has(status)) return { notStorable: `must-understand with status ${status}` };
  } else if (cc.has('no-store')) return { notStorable: 'cache-control: no-store' };
  if (cc.has('private')) return { notStorable: 'cache-control: private' };
  if (options.authorized && !cc.has('public') && !cc.has('s-maxage') && !cc.has('must-revalidate')) {
    return { notStorable: 'a request with Authorization, and no public, s-maxage or must-revalidate' };
  }
  const date = httpDate(single(header('date')));
  const dateMs = date ?? now;
  const sMaxAge = deltaSeconds(cc.get('s-maxage'));
  const maxAge = deltaSeconds(cc.get('max-age'));
  let lifetimeMs: number | undefined;
  if (surrogateMaxAge !== undefined) lifetimeMs = surrogateMaxAge * 1000;
  else if (sMaxAge !== undefined) lifetimeMs = sMaxAge * 1000;
  else if (maxAge !== undefined) lifetimeMs = maxAge * 1000;
  else if (cc.has('max-age')) lifetimeMs = 0; // present but invalid (negative, quoted): stale
  else if (header('expires') !== undefined) {
    const expires = httpDate(single(header('expires')));
    lifetimeMs = expires === undefined ? 0 : Math.max(0, expires - dateMs);
  } else if (options.heuristic) {
    const modified = httpDate(single(header('last-modified')));
    if (modified !== undefined && (HEURISTIC_STATUSES.has(status) || cc.has('public'))) {
      lifetimeMs = Math.min(MAX_HEURISTIC_MS, Math.max(0, (dateMs - modified) / 10));
    }
  }
  const validated = header('etag') !== undefined || header('last-modified') !== undefined;
  const staleWhileRevalidateMs = (deltaSeconds(cc.get('stale-while-revalidate')) ?? 0) * 1000;
  const staleIfErrorMs = (deltaSeconds(cc.get('stale-if-error')) ?? 0) * 1000;
  const noCache = cc.has('no-cache');
  const mustRevalidate = cc.has('must-revalidate') || cc.has('proxy-revalidate') || sMaxAge !== undefined;
  // No explicit freshness and no heuristic: not stored (no-cache stores, to be revalidated on each use).
  if (lifetimeMs === undefined && !noCache) return { notStorable: 'no explicit freshness (s-maxage, max-age, Expires)' };
  const ageValue = ageSeconds(header('age'));
  const apparentAgeMs = Math.max(0, now - dateMs);
  const initialAgeMs = Math.max(apparentAgeMs, ageValue * 1000);
  // Nothing to serve it on: neither fresh for a while, nor revalidatable, nor usable on errors.
  if (((lifetimeMs ?? 0) <= initialAgeMs || noCache) && !validated && (staleIfErrorMs === 0 || mustRevalidate || noCache)) {
    return { notStorable: 'stale at once, without a validator' };
  }
  return { lifetimeMs: lifetimeMs ?? 0, initialAgeMs, noCache, mustRevalidate, staleWhileRevalidateMs, staleIfErrorMs, validated };
}

/** True when `result` is a NotStorable. */
export function isNotStorable(result: ResponseFreshness | NotStorable): result is NotStorable {
  return 'notStorable' in result;
}

/**
 * The Cache-Control directives of a header value (or several lines): lower-case names to their
 * value (unquoted), `true` for a bare one. A comma inside a quoted string does not split; the
 * first occurrence of a directive wins.
 */
export function cacheControl(value: unknown): Map<string, string | true> {
  const directives = new Map<string, string | true>();
  if (value === undefined || value === null) return directives;
  const text = Array.isArray(value) ? value.join(',') : String(value);
  let i = 0;
  while (i < text.length) {
    // Name up to '=' or ','.
    let j = i;
    while (j < text.length && text[j] !== '=' && text[j] !== ',') j++;
    const name = text.slice(i, j).trim().toLowerCase();
    let parsed: string | true = true;
    if (text[j] === '=') {
      j++;
      while (text[j] === ' ' || text[j] === '\t') j++;
      if (text[j] === '"') {
        let out = '';
        j++;
        while (j < text.length && text[j] !== '"') {
          if (text[j] === '\\' && j + 1 < text.length) j++;
          out += text[j];
          j++;
        }
        j++;
        // A quoted delta-seconds (max-age="60") is read as the token form (RFC 9111 5.2: recipients accept both).
        parsed = out;
        while (j < text.length && text[j] !== ',') j++;
      } else {
        const start = j;
        while (j < text.length && text[j] !== ',') j++;
        parsed = text.slice(start, j).trim();
      }
    }
    if (name !== '' && !directives.has(name)) directives.set(name, parsed);
    i = j + 1;
  }
  return directives;
}

/** The Surrogate-Control directives addressed to this cache: untargeted ones, and with a device token those targeted at it (`max-age=60;token`). */
export function surrogateControl(value: unknown, target: true | string): Map<string, string | true> {
  const directives = new Map<string, string | true>();
  if (value === undefined || value === null) return directives;
  for (const item of (Array.isArray(value) ? value.join(',') : String(value)).split(',')) {
    const [directive = '', device] = item.split(';').map((part) => part.trim());
    if (device !== undefined && device !== target) continue;
    const equals = directive.indexOf('=');
    const name = (equals === -1 ? directive : directive.slice(0, equals)).toLowerCase();
    if (name !== '' && !directives.has(name)) directives.set(name, equals === -1 ? true : directive.slice(equals + 1));
  }
  return directives;
}

/** A delta-seconds value (RFC 9111 1.2.2: digits only), else undefined. */
function deltaSeconds(value: string | true | undefined): number | undefined {
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? Math.min(n, 2 ** 31) : undefined;
}

/** The Age header's seconds: one non-negative integer, else Infinity (a response whose age cannot be told is stale). */
export function ageSeconds(value: unknown): number {
  if (value === undefined) return 0;
  if (Array.isArray(value)) return value.length === 1 ? ageSeconds(value[0]) : Infinity;
  const text = String(value).trim();
  return /^[0-9]+$/.test(text) ? Number(text) : Infinity;
}

/** One header value, or undefined for none or several. */
function single(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.length === 1 ? String(value[0]) : undefined;
  return String(value);
}

const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850 = /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/** An HTTP-date (RFC 9110 5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms) as Unix ms; undefined for anything else. */
export function httpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let m = IMF_FIXDATE.exec(text);
  if (m) return utc(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850.exec(text);
  if (m) {
    const yy = Number(m[3]);
    // RFC 9110: a two-digit year more than 50 years in the future is the past century's.
    const year = yy + (yy + 2000 > new Date().getUTCFullYear() + 50 ? 1900 : 2000);
    return utc(year, m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME.exec(text);
  if (m) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return undefined;
}

function utc(year: number, month: string, day: number, h: string, mi: string, s: string): number | undefined {
  const ms = Date.UTC(year, MONTHS.indexOf(month), day, Number(h), Number(mi), Number(s));
  return Number.isFinite(ms) ? ms : undefined;
}
