import { request, type ConformanceResponse } from '@larder/http/conformance';
import type { FastifyInstance } from 'fastify';

/** A response read whole from a real socket. */
export type HttpResponse = ConformanceResponse;

/**
 * One request over a new connection with exactly these headers: @larder/http/conformance's
 * `request`, with `path` resolved against `base` first (so `/a/../b` goes out as `/b`).
 */
export function get(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpResponse> {
  const url = new URL(path, base);
  return request(base, url.pathname + url.search, headers, method);
}

/** Starts `app` on a free loopback port and returns its base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return `http://127.0.0.1:${address.port}`;
}
