import { createHash } from 'node:crypto';
import type { CacheRule } from './cache-rule.js';
import type { FinishedResponse } from './http-adapter.js';
import { TRANSIENT_HEADERS, type CachedResponse } from './stored-view.js';

/** The storable form of a finished response (its body is text or bytes) for `audience`, with the headers the cache `added` (see `storedHeaders`). */
export function captureResponse(finished: FinishedResponse, added: Readonly<Record<string, string>>, audience: string, storedAt: number): CachedResponse {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(finished.headers)) {
    if (value === undefined || TRANSIENT_HEADERS.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  Object.assign(headers, added);
  const body = finished.body!;
  return typeof body === 'string'
    ? { status: finished.status, audience, generation: '', storedAt, headers, body, encoding: 'utf8' }
    : { status: finished.status, audience, generation: '', storedAt, headers, body: body.toString('base64'), encoding: 'base64' };
}

/**
 * The headers the cache gives a response it stores, computed once, when it is stored, and sent
 * with every hit (and with the miss itself where the framework still allows): each only when the
 * handler did not set it.
 *
 * - `ETag`: a strong validator, `"` + base64url SHA-256 of the body (first 27 characters) + `"`
 *   (unless `etag: false`); a conditional request then gets a 304 from the cache.
 * - `Last-Modified`: the time it was stored (what the cached representation dates from), in `ttl` mode.
 * - `Cache-Control` with `cacheControl`: `public, max-age=<ttl>` (and `s-maxage`). A hit also
 *   sends `Age`, so a client's or CDN's freshness (max-age minus Age, RFC 9111 4.2.3) ends when
 *   the entry does. A ttl of 0 (never expires) sends none unless `maxAge` is given.
 * - `Surrogate-Key` with `surrogateKeys`: the page's tags, space-separated, when every one is
 *   visible ASCII without spaces.
 */
export function storedHeaders(rule: CacheRule<object>, finished: FinishedResponse, storedAt: number, ttl: number, tags: readonly string[] | undefined): Record<string, string> {
  const added: Record<string, string> = {};
  const has = (name: string) => finished.headers[name] !== undefined;
  if (rule.etag && !has('etag')) added.etag = strongEtag(finished.body!);
  // With freshness from the response, a Last-Modified of the cache's would be a validator the handler never gave.
  if (!has('last-modified') && rule.freshness === 'ttl') added['last-modified'] = new Date(storedAt).toUTCString();
  const control = rule.cacheControl;
  if (control !== undefined && !has('cache-control')) {
    const maxAge = control.maxAge ?? (ttl > 0 ? ttl : undefined);
    if (maxAge !== undefined) added['cache-control'] = `public, max-age=${maxAge}${control.sMaxAge === undefined ? '' : `, s-maxage=${control.sMaxAge}`}`;
  }
  // Only tags a header can carry and a CDN can split on spaces: visible ASCII. A page with any
  // other tag (a Japanese slug, a CR LF) is stored and invalidated as usual, without the header.
  if (rule.surrogateKeys && tags !== undefined && tags.length > 0 && !has('surrogate-key') && tags.every((tag) => SURROGATE_KEY.test(tag))) {
    added['surrogate-key'] = tags.join(' ');
  }
  return added;
}

const SURROGATE_KEY = /^[\x21-\x7e]+$/;

/** A strong ETag of `body`. */
function strongEtag(body: string | Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}
