import { MemcachedServer } from '@larder/testing';
import { interleavedRates } from '../http-rate.js';
import { startServerProcess } from '../server-process.js';
import { ratioSeries, runDescription, times, whole, writeCurve } from './output.js';
import type { CurveSettings } from './settings.js';

/** Open connections of the curve. */
export const CONNECTION_COUNTS = [1, 2, 5, 10, 25, 50, 100, 200] as const;

/**
 * Requests per second against open connections (the ~1 KB JSON reply of the HTTP section): a
 * plain Fastify route, the view-cached route's hit on the memory backend and on memcached (no
 * near cache, one memcached get per hit); interleaved, medians of the rounds.
 */
export async function curveConnections(settings: CurveSettings): Promise<void> {
  const memcached = await MemcachedServer.start();
  const server = await startServerProcess<{ memory: number; memcached: number }>(new URL('../http-servers.ts', import.meta.url), { BENCH_MEMCACHED: memcached.address });
  try {
    const routes = [
      { name: 'plain Fastify route', url: `http://127.0.0.1:${server.ports.memory}/plain` },
      { name: 'Larder view hit, memory backend', url: `http://127.0.0.1:${server.ports.memory}/cached` },
      { name: 'Larder view hit, memcached', url: `http://127.0.0.1:${server.ports.memcached}/cached` },
    ];
    for (const route of routes) await (await fetch(route.url)).arrayBuffer();
    const targets = CONNECTION_COUNTS.flatMap((connections) => routes.map((route) => ({ url: route.url, connections })));
    const rates = await interleavedRates(targets, { rounds: settings.rounds, duration: settings.durationS, warmup: settings.quick ? 0 : 1 });
    const at = (c: number, route: number) => rates[c * routes.length + route]!;
    const series = routes.map((route, r) => ({ name: route.name, points: CONNECTION_COUNTS.map((n, c) => [n, at(c, r)] as [number, number]) }));
    writeCurve(
      settings,
      'curve-connections',
      {
        title: 'Throughput against open connections',
        subtitle: `~1 KB JSON reply, median of ${settings.rounds} interleaved rounds of ${settings.durationS} s; ${runDescription(settings)}`,
        x: { label: 'connections', log: true, ticks: CONNECTION_COUNTS },
        y: { label: 'throughput', unit: 'req/s' },
        series,
      },
      {
        columns: ['connections', 'plain route', 'memory hit', 'memory / plain', 'memcached hit', 'memcached / plain'],
        rows: CONNECTION_COUNTS.map((n, c) => [String(n), `${whole(at(c, 0))} req/s`, `${whole(at(c, 1))} req/s`, times(at(c, 1) / at(c, 0)), `${whole(at(c, 2))} req/s`, times(at(c, 2) / at(c, 0))]),
      },
      { connections: CONNECTION_COUNTS, routes: routes.map((r) => r.name), requestsPerSecond: rates },
      {
        title: 'View hit throughput relative to the plain route, against open connections',
        subtitle: `same run as curve-connections.svg; ${runDescription(settings)}`,
        x: { label: 'connections', log: true, ticks: CONNECTION_COUNTS },
        y: { label: 'hit / plain route', unit: 'x', min: 0, format: (v) => v.toFixed(1) },
        series: ratioSeries(series, routes[0]!.name),
      },
    );
  } finally {
    server.stop();
    await memcached.stop();
  }
}
