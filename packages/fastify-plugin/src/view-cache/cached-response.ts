import type { FastifyReply } from 'fastify';

/** A response as the view cache stores it. */
export interface CachedResponse {
  /** Status code. */
  status: number;
  /** Headers the handler set (without per-connection ones). */
  headers: Record<string, string | string[]>;
  /** The body: text as is, bytes as base64. */
  body: string;
  /** How `body` is written. */
  encoding: 'utf8' | 'base64';
}

/** Headers that belong to one transmission, not to the response: never stored. */
const TRANSIENT_HEADERS = new Set(['content-length', 'x-cache', 'date', 'connection', 'keep-alive', 'transfer-encoding']);

/** Why a response cannot be stored, or undefined when it can. */
export function whyNotCacheable(reply: FastifyReply, payload: unknown, statusCodes: ReadonlySet<number>): string | undefined {
  if (!statusCodes.has(reply.statusCode)) return `status ${reply.statusCode}`;
  if (reply.hasHeader('set-cookie')) return 'it sets a cookie';
  const control = reply.getHeader('cache-control');
  if (control !== undefined && /(^|[\s,])(private|no-store)([\s,=]|$)/i.test(String(control))) return `cache-control: ${String(control)}`;
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return 'the body is a stream';
  return undefined;
}

/** The storable form of a response whose payload is text or bytes (see `whyNotCacheable`). */
export function captureResponse(reply: FastifyReply, payload: string | Buffer): CachedResponse {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value === undefined || TRANSIENT_HEADERS.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return typeof payload === 'string'
    ? { status: reply.statusCode, headers, body: payload, encoding: 'utf8' }
    : { status: reply.statusCode, headers, body: payload.toString('base64'), encoding: 'base64' };
}

/** Marks a stored response; a value without it (written by someone else) is a miss. */
const FORMAT = 'larder-view/1 ';

/**
 * The stored form: one text value, a JSON head line then the body. Text (flag 16) is what
 * memcached peers read as a string, and Larder's in-memory backend hands back the very same
 * string on every hit, which `ResponseDecoder` uses to skip decoding.
 */
export function encodeResponse(entry: CachedResponse): string {
  return `${FORMAT}${JSON.stringify({ status: entry.status, headers: entry.headers, encoding: entry.encoding })}\n${entry.body}`;
}

/** Turns stored values back into responses, remembering the last decoded value of each key. */
export class ResponseDecoder {
  readonly #recent = new Map<string, { stored: string; entry: CachedResponse }>();
  readonly #limit: number;

  constructor(limit = 1000) {
    this.#limit = limit;
  }

  /** The response in `stored`, or undefined when it is not one. */
  decode(key: string, stored: unknown): CachedResponse | undefined {
    if (typeof stored !== 'string') return undefined;
    const recent = this.#recent.get(key);
    if (recent !== undefined && recent.stored === stored) return recent.entry;
    const entry = parse(stored);
    if (entry === undefined) return undefined;
    if (this.#recent.size >= this.#limit) this.#recent.clear();
    this.#recent.set(key, { stored, entry });
    return entry;
  }
}

function parse(stored: string): CachedResponse | undefined {
  if (!stored.startsWith(FORMAT)) return undefined;
  const newline = stored.indexOf('\n');
  if (newline === -1) return undefined;
  let head: Partial<CachedResponse>;
  try {
    head = JSON.parse(stored.slice(FORMAT.length, newline)) as Partial<CachedResponse>;
  } catch {
    return undefined;
  }
  const { status, headers, encoding } = head;
  if (typeof status !== 'number' || headers === null || typeof headers !== 'object' || (encoding !== 'utf8' && encoding !== 'base64')) return undefined;
  return { status, headers, encoding, body: stored.slice(newline + 1) };
}

/** Sends a stored response with `x-cache: <label>`. */
export function replayResponse(reply: FastifyReply, entry: CachedResponse, label: string): FastifyReply {
  reply.code(entry.status).headers(entry.headers).header('x-cache', label);
  return reply.send(entry.encoding === 'utf8' ? entry.body : Buffer.from(entry.body, 'base64'));
}
