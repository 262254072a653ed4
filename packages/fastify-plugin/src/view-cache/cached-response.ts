import type { FastifyReply } from 'fastify';
import { whyNotStorable } from './http-rules.js';
import type { ViewRouteStats } from './route-stats.js';
import { TRANSIENT_HEADERS, type CachedResponse } from './stored-view.js';

export type { CachedResponse } from './stored-view.js';

/** Why a Fastify response cannot be stored, or undefined when it can (see `whyNotStorable`). */
export function whyNotCacheable(reply: FastifyReply, payload: unknown, statusCodes: ReadonlySet<number>): string | undefined {
  const refused = whyNotStorable(reply.statusCode, (name) => reply.getHeader(name), statusCodes);
  if (refused !== undefined) return refused;
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return 'the body is a stream';
  return undefined;
}

/** The storable form of a response whose payload is text or bytes, for requests to `host` (`generation`: see CachedResponse). */
export function captureResponse(reply: FastifyReply, payload: string | Buffer, host: string, generation: string): CachedResponse {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value === undefined || TRANSIENT_HEADERS.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return typeof payload === 'string'
    ? { status: reply.statusCode, host, generation, headers, body: payload, encoding: 'utf8' }
    : { status: reply.statusCode, host, generation, headers, body: payload.toString('base64'), encoding: 'base64' };
}

/** Sends a stored response with `x-cache: <label>`, counted in the route's `stats`. */
export function replayResponse(reply: FastifyReply, entry: CachedResponse, label: 'HIT' | 'STALE', stats: ViewRouteStats): FastifyReply {
  if (label === 'HIT') stats.hits++;
  else stats.stale++;
  reply.code(entry.status).headers(entry.headers).header('x-cache', label);
  return reply.send(entry.encoding === 'utf8' ? entry.body : Buffer.from(entry.body, 'base64'));
}
