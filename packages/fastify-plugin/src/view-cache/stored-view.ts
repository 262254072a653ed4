// The stored form of cached responses, framework-neutral: what is written to the cache and how it
// is read back, with a memo of recent decodes bounded in bytes.

/** A response as the view cache stores it. */
export interface CachedResponse {
  /** Status code. */
  status: number;
  /** The Host the request that produced it was for; it is served to requests for that Host only. */
  host: string;
  /** Headers the handler set (without per-connection ones). */
  headers: Record<string, string | string[]>;
  /** The body: text as is, bytes as base64. */
  body: string;
  /** How `body` is written. */
  encoding: 'utf8' | 'base64';
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

/** Marks a stored response; a value without it (written by someone else, or an older format) is a miss. */
const RESPONSE_FORMAT = 'larder-view/2 ';
/** Marks a stored Vary list. */
const VARY_FORMAT = 'larder-vary/1 ';

/**
 * One text value, a JSON head line then the body. Text (flag 16) is what memcached peers read as
 * a string, and Larder's in-memory backend hands back the very same string on every hit, which
 * `ResponseDecoder` uses to skip decoding.
 */
export function encodeResponse(entry: CachedResponse): string {
  return `${RESPONSE_FORMAT}${JSON.stringify({ status: entry.status, host: entry.host, headers: entry.headers, encoding: entry.encoding })}\n${entry.body}`;
}

/** The stored form of a Vary list. */
export function encodeVaryMarker(marker: VaryMarker): string {
  return `${VARY_FORMAT}${JSON.stringify({ vary: marker.names, generation: marker.generation })}`;
}

/** Default bound of the decode memo: bytes of stored text held at once. */
export const DEFAULT_MEMO_BYTES = 8 * 1024 * 1024;
/** Default size above which a stored value is decoded on every read and not held. */
export const DEFAULT_MEMO_ENTRY_BYTES = 1024 * 1024;
// Map entry, key and decoded objects, beyond the text itself: a rough upper bound.
const ENTRY_OVERHEAD = 256;

/** Bounds of a `ResponseDecoder`'s memo. */
export interface DecoderBounds {
  /** Bytes of stored text (counted at 2 per character, V8's widest) held at most (default 8 MiB). */
  maxBytes?: number;
  /** Values larger than this are never held (default 1 MiB). */
  maxEntryBytes?: number;
}

/**
 * Turns stored values back into responses, remembering recent decodes by key. The memo is bounded
 * in bytes, oldest first out; a value over `maxEntryBytes` is decoded on each read (a head line
 * and a slice, so cheap) and never held.
 */
export class ResponseDecoder {
  readonly #recent = new Map<string, { stored: string; view: StoredView; bytes: number }>();
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  #bytes = 0;

  constructor(bounds: DecoderBounds = {}) {
    this.#maxBytes = bounds.maxBytes ?? DEFAULT_MEMO_BYTES;
    this.#maxEntryBytes = Math.min(bounds.maxEntryBytes ?? DEFAULT_MEMO_ENTRY_BYTES, this.#maxBytes);
  }

  /** Bytes the memo holds now (estimated as above). */
  get bytes(): number {
    return this.#bytes;
  }

  /** The response or Vary list in `stored`, or undefined when it is neither. */
  decode(key: string, stored: unknown): StoredView | undefined {
    if (typeof stored !== 'string') return undefined;
    const recent = this.#recent.get(key);
    if (recent !== undefined && recent.stored === stored) return recent.view;
    const view = parse(stored);
    if (recent !== undefined) this.#forget(key, recent.bytes);
    if (view === undefined) return undefined;
    const bytes = stored.length * 2 + key.length * 2 + ENTRY_OVERHEAD;
    if (bytes > this.#maxEntryBytes) return view;
    for (const [oldest, entry] of this.#recent) {
      if (this.#bytes + bytes <= this.#maxBytes) break;
      this.#forget(oldest, entry.bytes);
    }
    this.#recent.set(key, { stored, view, bytes });
    this.#bytes += bytes;
    return view;
  }

  #forget(key: string, bytes: number): void {
    this.#recent.delete(key);
    this.#bytes -= bytes;
  }
}

function parse(stored: string): StoredView | undefined {
  if (stored.startsWith(RESPONSE_FORMAT)) return parseResponse(stored);
  if (stored.startsWith(VARY_FORMAT)) return parseVaryMarker(stored);
  return undefined;
}

function parseResponse(stored: string): CachedResponse | undefined {
  const newline = stored.indexOf('\n');
  if (newline === -1) return undefined;
  const head = parseJson(stored.slice(RESPONSE_FORMAT.length, newline)) as Partial<CachedResponse> | undefined;
  if (head === undefined) return undefined;
  const { status, host, headers, encoding } = head;
  if (typeof status !== 'number' || typeof host !== 'string' || headers === null || typeof headers !== 'object' || (encoding !== 'utf8' && encoding !== 'base64')) return undefined;
  return { status, host, headers, encoding, body: stored.slice(newline + 1) };
}

// A foreign value could name any number of headers; a real Vary names a few.
const MAX_VARY_NAMES = 32;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]{1,64}$/;

function parseVaryMarker(stored: string): VaryMarker | undefined {
  const head = parseJson(stored.slice(VARY_FORMAT.length)) as { vary?: unknown; generation?: unknown } | undefined;
  if (head === undefined) return undefined;
  const { vary, generation } = head;
  if (!Array.isArray(vary) || vary.length === 0 || vary.length > MAX_VARY_NAMES || typeof generation !== 'string') return undefined;
  // Only the form varyHeaderNames gives (lower-case tokens, sorted, unique): any other list would
  // look headers up under names Node never uses, and every request would read one variant.
  for (let i = 0; i < vary.length; i++) {
    const name: unknown = vary[i];
    if (typeof name !== 'string' || !HEADER_NAME.test(name) || (i > 0 && name <= (vary[i - 1] as string))) return undefined;
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
