import type { HttpAdapter } from './http-adapter.js';
import type { RequestHeaders } from './http-rules.js';
import type { ViewRouteStats } from './route-stats.js';
import { currentAge } from './stored-freshness.js';
import { bodyBytes, type CachedResponse } from './stored-view.js';

/**
 * Sends a stored response with `x-cache: <label>` and `Age`, counted in `stats`: a 304 without a
 * body when the request's conditions say the client holds it (see `isNotModified`), else the
 * stored status, headers and body (a HEAD request's body is dropped by the framework).
 */
export function replayResponse<Req extends object, Res>(adapter: HttpAdapter<Req, Res>, response: Res, requestHeaders: RequestHeaders, entry: CachedResponse, label: 'HIT' | 'STALE', stats: ViewRouteStats): void {
  if (label === 'HIT') stats.hits++;
  else stats.stale++;
  const now = Date.now();
  const freshness = entry.freshness;
  // With freshness from the response, Age counts the age it arrived with, and its Date is replayed as it was.
  const age = freshness === undefined ? String(Math.max(0, Math.floor((now - entry.storedAt) / 1000))) : currentAge(freshness, entry.storedAt, now);
  const headers = freshness === undefined ? entry.headers : { ...entry.headers, date: freshness.date };
  if ((requestHeaders['if-none-match'] !== undefined || requestHeaders['if-modified-since'] !== undefined) && isNotModified(requestHeaders, entry.headers)) {
    stats.notModified++;
    adapter.send(response, 304, notModifiedHeaders(headers), undefined, label, age);
    return;
  }
  adapter.send(response, entry.status, headers, bodyBytes(entry), label, age);
}

/**
 * True when a GET or HEAD request's conditions (RFC 9110 13.1) are met by the stored response's
 * validators: `If-None-Match` lists its ETag (weak comparison) or is `*`; else, without
 * `If-None-Match`, `If-Modified-Since` is at or after its `Last-Modified`.
 */
export function isNotModified(requestHeaders: RequestHeaders, stored: Readonly<Record<string, string | string[]>>): boolean {
  const ifNoneMatch = requestHeaders['if-none-match'];
  const etag = stored.etag;
  if (ifNoneMatch !== undefined) {
    if (typeof etag !== 'string') return false;
    const opaque = opaqueTag(etag);
    for (const candidate of (Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : ifNoneMatch).split(',')) {
      const tag = candidate.trim();
      if (tag === '*' || (tag !== '' && opaqueTag(tag) === opaque)) return true;
    }
    return false;
  }
  const since = requestHeaders['if-modified-since'];
  const modified = stored['last-modified'];
  if (typeof since !== 'string' || typeof modified !== 'string') return false;
  const sinceMs = Date.parse(since);
  const modifiedMs = Date.parse(modified);
  return Number.isFinite(sinceMs) && Number.isFinite(modifiedMs) && modifiedMs <= sinceMs;
}

/** An entity tag without its weakness prefix, for weak comparison. */
function opaqueTag(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

// What a 304 carries of the 200 it stands for (RFC 9110 15.4.5), besides Date, which the server adds.
const NOT_MODIFIED_HEADERS = ['date', 'cache-control', 'content-location', 'etag', 'expires', 'last-modified', 'vary', 'surrogate-key'];

function notModifiedHeaders(stored: Readonly<Record<string, string | string[]>>): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const name of NOT_MODIFIED_HEADERS) {
    const value = stored[name];
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}
