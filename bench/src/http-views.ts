import autocannon from 'autocannon';
import { MemcachedServer } from '@larder/testing';
import { CONNECTIONS, interleavedRates } from './http-rate.js';
import { rate, type ResultRow } from './report.js';
import { startServerProcess } from './server-process.js';

const COLD_REQUESTS = 500;

/**
 * View caching through HTTP (autocannon, one server process): the memory view cache against a
 * plain route, the memcached view cache against a hand-written memjs route, and a burst of cold
 * requests that must run the handler once.
 */
export async function benchHttpViews(): Promise<ResultRow[]> {
  const memcached = await MemcachedServer.start();
  const server = await startServerProcess<{ memory: number; memcached: number; near: number; metrics: number }>(new URL('./http-servers.ts', import.meta.url), { BENCH_MEMCACHED: memcached.address });
  try {
    const { ports } = server;
    const memoryBase = `http://127.0.0.1:${ports.memory}`;
    const memcachedBase = `http://127.0.0.1:${ports.memcached}`;
    const nearBase = `http://127.0.0.1:${ports.near}`;
    const metricsBase = `http://127.0.0.1:${ports.metrics}`;
    const [plain, memoryCached, memcachedCached, hand, nearCached, metricsCached, hitShaped] = await interleavedRates([
      { url: `${memoryBase}/plain` },
      { url: `${memoryBase}/cached` },
      { url: `${memcachedBase}/cached` },
      { url: `${memcachedBase}/hand` },
      { url: `${nearBase}/cached` },
      { url: `${metricsBase}/cached` },
      { url: `${memoryBase}/hit-shaped` },
    ]);
    const scraped = await (await fetch(`${metricsBase}/metrics`)).text();
    const cold = await coldBurst(memoryBase);
    return [
      {
        benchmark: `view-cached route, memory backend, vs plain route (autocannon, ${CONNECTIONS} connections)`,
        larder: rate(memoryCached!, 'req/s'),
        baseline: `${rate(plain!, 'req/s')} (plain Fastify route)`,
        ratio: memoryCached! / plain!,
        target: '>= 1.00x',
        met: memoryCached! / plain! >= 1.0,
      },
      {
        benchmark: `view-cached route, memory backend, vs a plain route sending what a hit sends (the same bytes, ETag, Last-Modified, x-cache, Age): Larder's own cost of a hit (autocannon, ${CONNECTIONS} connections)`,
        larder: rate(memoryCached!, 'req/s'),
        baseline: `${rate(hitShaped!, 'req/s')} (hit-shaped Fastify route)`,
        ratio: memoryCached! / hitShaped!,
        target: 'printed, no target',
        met: true,
      },
      {
        benchmark: `view-cached route, memory backend, vs the same route on memcached (autocannon, ${CONNECTIONS} connections): in-process must be the fastest path`,
        larder: rate(memoryCached!, 'req/s'),
        baseline: `${rate(memcachedCached!, 'req/s')} (memcached backend, no near cache)`,
        ratio: memoryCached! / memcachedCached!,
        target: '>= 1.00x',
        met: memoryCached! / memcachedCached! >= 1.0,
      },
      {
        benchmark: `view-cached route, memcached, vs hand-written memjs get route (autocannon, ${CONNECTIONS} connections)`,
        larder: rate(memcachedCached!, 'req/s'),
        baseline: `${rate(hand!, 'req/s')} (one memjs get per request)`,
        ratio: memcachedCached! / hand!,
        target: '>= 0.95x',
        met: memcachedCached! / hand! >= 0.95,
      },
      {
        benchmark: `view-cached route, memcached with a near cache, vs the same route on the memory backend (autocannon, ${CONNECTIONS} connections)`,
        larder: rate(nearCached!, 'req/s'),
        baseline: `${rate(memoryCached!, 'req/s')} (memory backend)`,
        ratio: nearCached! / memoryCached!,
        target: '>= 0.95x',
        met: nearCached! / memoryCached! >= 0.95,
      },
      {
        benchmark: `view-cached route, memcached with a near cache, vs hand-written memjs get route (autocannon, ${CONNECTIONS} connections)`,
        larder: rate(nearCached!, 'req/s'),
        baseline: `${rate(hand!, 'req/s')} (one memjs get per request)`,
        ratio: nearCached! / hand!,
        target: '>= 1.3x',
        met: nearCached! / hand! >= 1.3,
      },
      {
        benchmark: `view-cached route, memory backend, Prometheus metrics on (cache and views) vs off (autocannon, ${CONNECTIONS} connections)`,
        larder: rate(metricsCached!, 'req/s'),
        baseline: `${rate(memoryCached!, 'req/s')} (metrics off)`,
        ratio: metricsCached! / memoryCached!,
        target: '>= 0.97x',
        met: metricsCached! / memoryCached! >= 0.97 && scraped.includes('larder_view_requests_total{cache="bench",route="GET /cached",result="hit"}'),
      },
      {
        benchmark: `${COLD_REQUESTS} concurrent first requests to a cold view-cached route (handler takes 200 ms)`,
        larder: `handler ran ${cold.calls} time(s)`,
        baseline: `${cold.ok}/${COLD_REQUESTS} answered 200`,
        ratio: cold.calls,
        target: 'handler runs exactly once',
        met: cold.calls === 1 && cold.ok === COLD_REQUESTS,
      },
    ];
  } finally {
    server.stop();
    await memcached.stop();
  }
}

/** Fires COLD_REQUESTS requests at once, each on its own connection, at a route nobody has requested yet. */
async function coldBurst(base: string): Promise<{ calls: number; ok: number }> {
  const before = ((await (await fetch(`${base}/cold-calls`)).json()) as { calls: number }).calls;
  const result = await autocannon({ url: `${base}/cold/burst`, connections: COLD_REQUESTS, amount: COLD_REQUESTS, pipelining: 1 });
  const after = ((await (await fetch(`${base}/cold-calls`)).json()) as { calls: number }).calls;
  return { calls: after - before, ok: result['2xx'] };
}
