import { PAGE } from './http-body.js';
import { CONNECTIONS, interleavedRates } from './http-rate.js';
import { rate, type ResultRow } from './report.js';
import { startServerProcess } from './server-process.js';

/**
 * Conditional requests on a Fastify view-cached route (memory backend, ~8 KB HTML page): requests
 * with `If-None-Match: <the page's ETag>`, answered 304 from the cache, against the same route's
 * full hit. Every measured conditional response must be a 304, every full one a 2xx.
 */
export async function benchConditional(): Promise<ResultRow[]> {
  const server = await startServerProcess<{ app: number }>(new URL('./conditional-servers.ts', import.meta.url), {});
  try {
    const url = `http://127.0.0.1:${server.ports.app}/page`;
    const etag = (await fetch(url)).headers.get('etag');
    const hit = await fetch(url);
    if (etag === null || hit.headers.get('x-cache') !== 'HIT' || hit.headers.get('etag') !== etag || (await hit.text()) !== PAGE) {
      throw new Error(`/page: expected a HIT with ETag ${etag}, got x-cache ${hit.headers.get('x-cache')}, ETag ${hit.headers.get('etag')}`);
    }
    const [full, notModified] = await interleavedRates([{ url }, { url, headers: { 'if-none-match': etag }, status: 304 }]);
    return [
      {
        benchmark: `Fastify view-cached route: 304 to If-None-Match vs the full hit (${(Buffer.byteLength(PAGE) / 1024).toFixed(1)} KB HTML page, autocannon, ${CONNECTIONS} connections)`,
        larder: `${rate(notModified!, 'req/s')} (304)`,
        baseline: `${rate(full!, 'req/s')} (200 HIT with the body)`,
        ratio: notModified! / full!,
        target: '>= 1.00x',
        met: notModified! / full! >= 1,
      },
    ];
  } finally {
    server.stop();
  }
}
