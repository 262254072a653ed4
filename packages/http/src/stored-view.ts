import type { DecodeMemoBounds } from '@larder/core';
import { validateHeaderValue } from 'node:http';
import { HOST_VARIANT, NEVER_STORED_STATUSES } from './http-rules.js';
import { parseStoredFreshness, type StoredFreshness } from './stored-freshness.js';

// The stored form of cached responses, framework-neutral: what is written to the cache and how it
// is read back (the view cache reads through Cache.readDecoded, which memoizes the decode).

/** A response as the view cache stores it. */
export interface CachedResponse {
  /** Status code. */
  status: number;
  /**
   * Whom it may be served to: the Host its request was for and the route that answered it
   * (`audienceOf`); it is served to requests for that Host and route only.
   */
  audience: string;
  /**
   * A random id given when stored at a route's own key: responses for other Hosts are stored under
   * variants of it, so deleting the key orphans them ('' for a response stored under a variant).
   */
  generation: string;
  /** When it was stored, Unix ms (for the `Age` header). */
  storedAt: number;
  /** Headers the handler set (without per-connection ones), with the ETag, Last-Modified and Cache-Control the cache gave it. */
  headers: Record<string, string | string[]>;
  /** The body: text as is, bytes as base64. */
  body: string;
  /** How `body` is written. */
  encoding: 'utf8' | 'base64';
  /** In `freshness: 'response'` mode: what RFC 9111 lets the cache do with it (absent in `ttl` mode). */
  freshness?: StoredFreshness | undefined;
  /**
   * The body's bytes, made once when a stored value is read back (never stored): every hit of that
   * stored item sends this Buffer as is, so serving a page costs nothing that grows with its size.
   */
  readonly payload?: Buffer;
}

/** The bytes of `entry`'s body: its `payload` when read back, else made from `body`. */
export function bodyBytes(entry: CachedResponse): Buffer {
  return entry.payload ?? Buffer.from(entry.body, entry.encoding);
}

/** Stored at a view key whose responses carry `Vary`: the request headers they vary on. */
export class VaryMarker {
  /** Lower-case header names, sorted (see `varyHeaderNames`). */
  readonly names: readonly string[];
  /** A random id of this list, part of every variant key, so deleting the marker orphans its variants. */
  readonly generation: string;

  constructor(names: readonly string[], generation: string) {
    this.names = names;
    this.generation = generation;
  }
}

/** What a view key holds: a response, or the Vary list under which its responses are stored. */
export type StoredView = CachedResponse | VaryMarker;

/** A value in Larder's stored-view format that cannot be used (forged, corrupt): a miss, counted and logged. */
export class MalformedView {
  /** What is wrong with it, for the log (never the value itself). */
  readonly reason: string;

  constructor(reason: string) {
    this.reason = reason;
  }
}

/** Marks a stored response; a value without it (written by someone else, or an older format) is a miss. */
const RESPONSE_FORMAT = 'larder-view/4 ';
/** Marks a stored Vary list. */
const VARY_FORMAT = 'larder-vary/1 ';

/**
 * One text value, a JSON head line then the body. Text (flag 16) is what memcached peers read as
 * a string; the view cache reads it back with `Cache.readDecoded` and `decodeStoredView`, so a hit
 * on an unchanged stored item skips decoding (the contract is DecodeMemo's, in core).
 */
export function encodeResponse(entry: CachedResponse): string {
  return `${RESPONSE_FORMAT}${JSON.stringify({ status: entry.status, audience: entry.audience, generation: entry.generation, storedAt: entry.storedAt, headers: entry.headers, encoding: entry.encoding, freshness: entry.freshness })}\n${entry.body}`;
}

/** The stored form of a Vary list. */
export function encodeVaryMarker(marker: VaryMarker): string {
  return `${VARY_FORMAT}${JSON.stringify({ vary: marker.names, generation: marker.generation })}`;
}

/** Default bound of the view cache's decode memo, in bytes (see DecodeMemo). */
export const DEFAULT_MEMO_BYTES = 32 * 1024 * 1024;
/** Default size above which a stored value is decoded on every read and not held: pages up to about 2 MiB are held. */
export const DEFAULT_MEMO_ENTRY_BYTES = 4 * 1024 * 1024;

/** Bounds of the view cache's decode memo. */
export type DecoderBounds = DecodeMemoBounds;

/**
 * The response or Vary list in a cache value; undefined when the value is not in Larder's format
 * (absent, or another program's), a `MalformedView` when it is but cannot be used. Pure, as
 * DecodeMemo requires: its result is shared by every read of one stored item.
 */
export function decodeStoredView(stored: unknown): StoredView | MalformedView | undefined {
  return typeof stored === 'string' ? parse(stored) : undefined;
}

function parse(stored: string): StoredView | MalformedView | undefined {
  if (stored.startsWith(RESPONSE_FORMAT)) return parseResponse(stored);
  if (stored.startsWith(VARY_FORMAT)) return parseVaryMarker(stored);
  return undefined;
}

// Bounds of a stored response's head: a real page sends a few dozen headers, far under these.
const MAX_STORED_HEADERS = 100;
const MAX_STORED_HEADER_BYTES = 64 * 1024;

function parseResponse(stored: string): CachedResponse | MalformedView {
  const newline = stored.indexOf('\n');
  const head = newline === -1 ? undefined : (parseJson(stored.slice(RESPONSE_FORMAT.length, newline)) as Record<string, unknown> | undefined);
  if (head === undefined) return new MalformedView('no JSON head line');
  const { status, audience, generation, storedAt, headers, encoding } = head;
  const freshness = parseStoredFreshness(head.freshness);
  if (freshness === false) return new MalformedView('a freshness out of bounds');
  if (!isStorableStatus(status)) return new MalformedView('a status that is never stored');
  if (typeof audience !== 'string' || typeof generation !== 'string') return new MalformedView('no audience or generation');
  if (typeof storedAt !== 'number' || !Number.isSafeInteger(storedAt) || storedAt < 0) return new MalformedView('no time stored');
  if (encoding !== 'utf8' && encoding !== 'base64') return new MalformedView('an unknown body encoding');
  const checked = checkHeaders(headers);
  if (typeof checked === 'string') return new MalformedView(checked);
  const body = stored.slice(newline + 1);
  const response: CachedResponse = { status, audience, generation, storedAt, headers: checked, encoding, body, payload: Buffer.from(body, encoding) };
  if (freshness !== undefined) response.freshness = freshness;
  return response;
}

/** True for a status a stored response may have: an integer 200-599, none of NEVER_STORED_STATUSES (the route's own list is checked on use). */
export function isStorableStatus(status: unknown): status is number {
  return typeof status === 'number' && Number.isInteger(status) && status >= 200 && status <= 599 && !NEVER_STORED_STATUSES.has(status);
}

/**
 * A stored header set that Node can send as is, without the per-transmission headers (dropped, so
 * a stored Content-Length or Transfer-Encoding can never contradict the body); a reason otherwise.
 * Larder never stores Set-Cookie, so a value with one is not Larder's own: refused.
 */
function checkHeaders(headers: unknown): Record<string, string | string[]> | string {
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) return 'headers that are not an object';
  const entries = Object.entries(headers);
  if (entries.length > MAX_STORED_HEADERS) return `more than ${MAX_STORED_HEADERS} headers`;
  const kept: Record<string, string | string[]> = {};
  let bytes = 0;
  for (const [name, value] of entries) {
    if (!HEADER_TOKEN.test(name)) return 'a header name that is not an HTTP token';
    const lower = name.toLowerCase();
    if (lower === 'set-cookie') return 'a Set-Cookie header';
    const values: unknown[] = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (typeof item !== 'string') return 'a header value that is not text';
      bytes += name.length + item.length;
      if (bytes > MAX_STORED_HEADER_BYTES) return `headers over ${MAX_STORED_HEADER_BYTES} bytes`;
      try {
        validateHeaderValue(name, item);
      } catch {
        return 'a header value Node refuses to send';
      }
    }
    if (!TRANSIENT_HEADERS.has(lower)) kept[name] = value as string | string[];
  }
  return kept;
}

/** Headers that belong to one transmission, not to the response: never stored, dropped from stored values. */
export const TRANSIENT_HEADERS: ReadonlySet<string> = new Set(['content-length', 'x-cache', 'date', 'age', 'connection', 'keep-alive', 'transfer-encoding']);

// RFC 9110 token.
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

// A foreign value could name any number of headers; a real Vary names a few.
const MAX_VARY_NAMES = 32;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]{1,64}$/;

function parseVaryMarker(stored: string): VaryMarker | MalformedView {
  const head = parseJson(stored.slice(VARY_FORMAT.length)) as { vary?: unknown; generation?: unknown } | undefined;
  if (head === undefined) return new MalformedView('no JSON Vary list');
  const { vary, generation } = head;
  if (!Array.isArray(vary) || vary.length === 0 || vary.length > MAX_VARY_NAMES || typeof generation !== 'string') return new MalformedView('a Vary list out of bounds');
  // Only the form varyHeaderNames gives (lower-case tokens, sorted, unique): any other list would
  // look headers up under names Node never uses, and every request would read one variant.
  for (let i = 0; i < vary.length; i++) {
    const name: unknown = vary[i];
    if (typeof name !== 'string' || !(name === HOST_VARIANT || HEADER_NAME.test(name)) || (i > 0 && name <= (vary[i - 1] as string))) return new MalformedView('a Vary list not in normalised form');
  }
  return new VaryMarker(vary as string[], generation);
}

function parseJson(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}
