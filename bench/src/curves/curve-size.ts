import { MemcachedServer } from '@larder/testing';
import { CONNECTIONS, interleavedRates } from '../http-rate.js';
import { startServerProcess } from '../server-process.js';
import { renderPage } from './page.js';
import { ratioSeries, runDescription, times, whole, writeCurve } from './output.js';
import type { CurveSettings } from './settings.js';
import type { ResultRow } from '../report.js';

/** Page sizes of the curve, in KiB. */
export const PAGE_SIZES_KB = [1, 4, 16, 64, 256, 512] as const;

/**
 * Requests per second against page size: a plain Fastify route rendering the page per request,
 * the view-cached route's hit on the memory backend, and on memcached with a near cache; every
 * size and route interleaved in each round, medians of the rounds.
 */
export async function curveSize(settings: CurveSettings): Promise<ResultRow[]> {
  const memcached = await MemcachedServer.start({ maxItemSize: '2m', memoryMb: 256 });
  const server = await startServerProcess<{ memory: number; near: number }>(new URL('./size-servers.ts', import.meta.url), { BENCH_MEMCACHED: memcached.address });
  try {
    const memory = `http://127.0.0.1:${server.ports.memory}`;
    const near = `http://127.0.0.1:${server.ports.near}`;
    const routes = [
      { name: 'plain Fastify route', url: (kb: number) => `${memory}/plain/${kb}` },
      { name: 'Larder view hit, memory backend', url: (kb: number) => `${memory}/cached/${kb}` },
      { name: 'Larder view hit, memcached + near cache', url: (kb: number) => `${near}/cached/${kb}` },
    ];
    const targets = PAGE_SIZES_KB.flatMap((kb) => routes.map((route) => ({ url: route.url(kb) })));
    for (const target of targets) {
      const response = await fetch(target.url);
      if (!response.ok) throw new Error(`${target.url}: ${response.status}`);
      await response.arrayBuffer();
    }
    const rates = await interleavedRates(targets, { rounds: settings.rounds, duration: settings.durationS, warmup: settings.quick ? 0 : 1 });
    const at = (size: number, route: number) => rates[size * routes.length + route]!;
    const series = routes.map((route, r) => ({ name: route.name, points: PAGE_SIZES_KB.map((kb, s) => [kb, at(s, r)] as [number, number]) }));
    writeCurve(
      settings,
      'curve-size',
      {
        title: 'Throughput against page size',
        subtitle: `the plain route renders the page per request; ${CONNECTIONS} connections, median of ${settings.rounds} interleaved rounds of ${settings.durationS} s; ${runDescription(settings)}`,
        x: { label: 'page size', unit: 'KiB', log: true, ticks: PAGE_SIZES_KB },
        y: { label: 'throughput', unit: 'req/s', log: true },
        series,
      },
      {
        columns: ['page', 'plain route', 'memory hit', 'memory / plain', 'memcached + near hit', 'near / plain', 'memory / near'],
        rows: PAGE_SIZES_KB.map((kb, s) => [
          `${kb} KiB (${whole(Buffer.byteLength(renderPage(kb)))} B)`,
          `${whole(at(s, 0))} req/s`,
          `${whole(at(s, 1))} req/s`,
          times(at(s, 1) / at(s, 0)),
          `${whole(at(s, 2))} req/s`,
          times(at(s, 2) / at(s, 0)),
          times(at(s, 1) / at(s, 2)),
        ]),
      },
      { pageSizesKb: PAGE_SIZES_KB, routes: routes.map((r) => r.name), connections: CONNECTIONS, requestsPerSecond: rates },
      {
        title: 'View hit throughput relative to the plain route, against page size',
        subtitle: `same run as curve-size.svg; ${runDescription(settings)}`,
        x: { label: 'page size', unit: 'KiB', log: true, ticks: PAGE_SIZES_KB },
        y: { label: 'hit / plain route', unit: 'x', min: 0, format: (v) => v.toFixed(1) },
        series: ratioSeries(series, routes[0]!.name),
      },
    );
    const rateAt = (route: number) => (kb: number) => at(PAGE_SIZES_KB.findIndex((size) => size === kb), route);
    return goalRows(rateAt(0), rateAt(1), rateAt(2));
  } finally {
    server.stop();
    await memcached.stop();
  }
}

/** Issue 26's big-page goals from the curve's own run: every hit at least its plain route at 1, 64 and 512 KiB, memory at least 0.95x near. */
function goalRows(plain: (kb: number) => number, memory: (kb: number) => number, near: (kb: number) => number): ResultRow[] {
  return [1, 64, 512].flatMap((kb) => [
    {
      benchmark: `Fastify view hit vs plain route rendering the same ${kb} KiB page, memory backend (curve-size run, ${CONNECTIONS} connections)`,
      larder: `${whole(memory(kb))} req/s`,
      baseline: `${whole(plain(kb))} req/s (plain route)`,
      ratio: memory(kb) / plain(kb),
      target: '>= 1.00x',
      met: memory(kb) / plain(kb) >= 1,
    },
    {
      benchmark: `Fastify view hit vs plain route rendering the same ${kb} KiB page, memcached + near cache (curve-size run)`,
      larder: `${whole(near(kb))} req/s`,
      baseline: `${whole(plain(kb))} req/s (plain route)`,
      ratio: near(kb) / plain(kb),
      target: '>= 1.00x',
      met: near(kb) / plain(kb) >= 1,
    },
    {
      benchmark: `Fastify view hit of a ${kb} KiB page, memory backend vs memcached + near cache (curve-size run)`,
      larder: `${whole(memory(kb))} req/s`,
      baseline: `${whole(near(kb))} req/s (near cache)`,
      ratio: memory(kb) / near(kb),
      target: '>= 0.95x',
      met: memory(kb) / near(kb) >= 0.95,
    },
  ]);
}
