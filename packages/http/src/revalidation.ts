import type { CachedResponse } from './stored-view.js';

// Revalidation of a stored response (RFC 9111 4.3): the conditions a request for it carries, and
// how a 304 answering them updates the stored headers (4.3.4) without a new body.

/** The conditional request headers that revalidate `stored`: If-None-Match with its ETag, If-Modified-Since with its Last-Modified. */
export function validatingHeaders(stored: CachedResponse): Record<string, string> {
  const conditions: Record<string, string> = {};
  const etag = stored.headers.etag;
  if (typeof etag === 'string') conditions['if-none-match'] = etag;
  const modified = stored.headers['last-modified'];
  if (typeof modified === 'string') conditions['if-modified-since'] = modified;
  return conditions;
}

// Never taken from a 304 (RFC 9111 3.2 and 4.3.4): the header of the stored body, its length and
// range, and the validator that selected it; nor anything per-transmission or per-visitor.
const KEPT_FROM_STORED = new Set(['content-length', 'content-encoding', 'content-md5', 'content-range', 'etag', 'transfer-encoding', 'connection', 'keep-alive', 'x-cache', 'age', 'date', 'set-cookie']);

/**
 * True when a 304 selects `stored` (RFC 9111 4.3.4): its strong ETag equals the stored one, or,
 * without an ETag on either side, the Last-Modified dates match (or the 304 has no validator).
 */
export function selects(stored: CachedResponse, notModified: Readonly<Record<string, unknown>>): boolean {
  const etag = notModified.etag;
  if (etag !== undefined) return typeof stored.headers.etag === 'string' && String(etag).replace(/^W\//, '') === stored.headers.etag.replace(/^W\//, '');
  const modified = notModified['last-modified'];
  if (modified !== undefined) return stored.headers['last-modified'] === String(modified);
  return true;
}

/** The headers of `stored` updated with those of a 304 (`notModified`, lower-case names) that selects it. */
export function updatedHeaders(stored: CachedResponse, notModified: Readonly<Record<string, unknown>>): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = { ...stored.headers };
  for (const [name, value] of Object.entries(notModified)) {
    if (value === undefined || KEPT_FROM_STORED.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return headers;
}
