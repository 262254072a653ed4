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

/** True when `value` read from the cache has the shape of a CachedResponse. */
export function isCachedResponse(value: unknown): value is CachedResponse {
  if (value === null || typeof value !== 'object') return false;
  const entry = value as Partial<CachedResponse>;
  return (
    typeof entry.status === 'number' &&
    typeof entry.body === 'string' &&
    (entry.encoding === 'utf8' || entry.encoding === 'base64') &&
    entry.headers !== null &&
    typeof entry.headers === 'object'
  );
}

/** Sends a stored response with `x-cache: <label>`. */
export function replayResponse(reply: FastifyReply, entry: CachedResponse, label: string): FastifyReply {
  reply.code(entry.status).headers(entry.headers).header('x-cache', label);
  return reply.send(entry.encoding === 'utf8' ? entry.body : Buffer.from(entry.body, 'base64'));
}
