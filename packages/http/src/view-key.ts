import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@larder/core';
import { varyValues, type RequestHeaders } from './http-rules.js';
import { flaskQueryKey, type QueryHashMethod } from './keys/flask-query-key.js';
import { normalizePath } from './keys/normalize-path.js';

/** The prefix of every whole-response key without query arguments, as Flask-Caching's `@cache.cached()` uses. */
export const VIEW_KEY_PREFIX = 'view/';

/** Query arguments as a view key sees them: a query string (with or without `?`), URLSearchParams, or an object of arguments. */
export type QueryArguments = string | URLSearchParams | Readonly<Record<string, unknown>>;

/**
 * The cache key (before the cache's own prefix) of a cached response for `path`, as
 * Flask-Caching's `@cache.cached()` makes it: `view/` + path, so `/a/b` -> `view//a/b`; with
 * `query` (a route with `queryString`), Flask's `query_string=True` key: the path followed by the
 * hex hash of the sorted arguments (`/a/b` + 32 hex digits with MD5). The path is normalised first
 * (`normalizePath`), so `/caf%C3%A9` and `/café` are one key. Use it to invalidate:
 * `app.cache.delete(viewKey('/a/b'))` (every Host and Vary variant goes with it).
 */
export function viewKey(path: string, query?: QueryArguments, hash: QueryHashMethod = 'md5'): string {
  if (typeof path !== 'string') throw new InvalidArgumentError(`viewKey: path must be a string, got ${describe(path)}`);
  const normalised = normalizePath(path);
  return query === undefined ? VIEW_KEY_PREFIX + normalised : flaskQueryKey(normalised, rawQueryOf(query), hash);
}

/** The query arguments as a raw query string (without `?`), the form Flask's request.args parses. */
function rawQueryOf(query: QueryArguments): string {
  if (typeof query === 'string') return query.startsWith('?') ? query.slice(1) : query;
  if (query instanceof URLSearchParams) return query.toString();
  if (query === null || typeof query !== 'object') {
    throw new InvalidArgumentError(`query must be a query string, URLSearchParams or an object of arguments, got ${describe(query)}`);
  }
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) if (item !== undefined) params.append(name, String(item));
  }
  return params.toString();
}

/** What separates a view key from the hash of one Vary variant; a path or query hash never contains it. */
export const VARIANT_SEPARATOR = '?vary=';

/**
 * The key of one Vary variant of the entry at `key`: `key` + `?vary=` + a SHA-256 of the
 * generation (a random id the variant list, or the response at `key`, was stored with, so
 * deleting `key` orphans every old variant) and the values of the named request headers (and of
 * the audience, Host and route, see `HOST_VARIANT`). SHA-256, not MD5: a Cookie header can be
 * a variant, and nobody must be able to craft a header that lands on someone else's variant.
 */
export function variantKey(key: string, generation: string, names: readonly string[], headers: RequestHeaders, audience: string): string {
  const hash = createHash('sha256').update(JSON.stringify([generation, ...varyValues(names, headers, audience)])).digest('hex');
  return key + VARIANT_SEPARATOR + hash;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
