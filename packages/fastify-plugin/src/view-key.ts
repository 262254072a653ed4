import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@larder/core';
import { varyValues, type RequestHeaders } from './view-cache/http-rules.js';

/** The prefix of every whole-response key, as Flask-Caching's `@cache.cached()` uses. */
export const VIEW_KEY_PREFIX = 'view/';

/** Query arguments as a view key sees them: a query string, URLSearchParams, or Fastify's parsed `request.query`. */
export type QueryArguments = string | URLSearchParams | Readonly<Record<string, unknown>>;

/**
 * The cache key (before the cache's own prefix) of a cached response for `path`: `view/` + path,
 * so `/a/b` -> `view//a/b`. With `query`, `?` and a hash of the sorted arguments follow, so
 * `?b=2&a=1` and `?a=1&b=2` share one entry, `view//a/b?<32 hex>`. A request path never holds a
 * `?` (it starts the query), so no path can spell another path's query key.
 * Use it to invalidate: `app.cache.delete(viewKey('/a/b'))` (all its Vary variants go with it).
 */
export function viewKey(path: string, query?: QueryArguments): string {
  if (typeof path !== 'string') throw new InvalidArgumentError(`viewKey: path must be a string, got ${describe(path)}`);
  const key = VIEW_KEY_PREFIX + path;
  return query === undefined ? key : `${key}?${queryHash(query)}`;
}

/** A hex MD5 of the query's (name, value) pairs sorted by name then value; empty query -> hash of none. */
export function queryHash(query: QueryArguments): string {
  const pairs = queryPairs(query);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return createHash('md5').update(JSON.stringify(pairs)).digest('hex');
}

/** What separates a view key from the hash of one Vary variant; a path or query hash never contains it. */
export const VARIANT_SEPARATOR = '?vary=';

/**
 * The key of one Vary variant of the entry at `key`: `key` + `?vary=` + a SHA-256 of the
 * generation (a random id the variant list, or the response at `key`, was stored with, so
 * deleting `key` orphans every old variant) and the values of the named request headers (and of
 * the Host, see `HOST_VARIANT`). SHA-256, not MD5: a Cookie header can be
 * a variant, and nobody must be able to craft a header that lands on someone else's variant.
 */
export function variantKey(key: string, generation: string, names: readonly string[], headers: RequestHeaders, host: string): string {
  const hash = createHash('sha256').update(JSON.stringify([generation, ...varyValues(names, headers, host)])).digest('hex');
  return key + VARIANT_SEPARATOR + hash;
}

function queryPairs(query: QueryArguments): Array<[string, string]> {
  if (query === null || (typeof query !== 'string' && typeof query !== 'object')) {
    throw new InvalidArgumentError(`query must be a query string, URLSearchParams or an object of arguments, got ${describe(query)}`);
  }
  if (typeof query === 'string') return [...new URLSearchParams(query.startsWith('?') ? query.slice(1) : query)];
  if (query instanceof URLSearchParams) return [...query];
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined) pairs.push([name, String(item)]);
    }
  }
  return pairs;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
