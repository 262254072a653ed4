import { MemcachedServer } from '@larder/testing';
import { PAGE } from './http-body.js';
import { CONNECTIONS, interleavedRates } from './http-rate.js';
import { rate, type ResultRow } from './report.js';
import { startServerProcess } from './server-process.js';

type App = 'plain' | 'hitShaped' | 'larder' | 'apicache' | 'memcached';

// Five rounds, not the usual three: single 4 s samples of these ~8,000 req/s routes swing by a
// third on this machine, and the comparison with apicache is a close one.
const ROUNDS = 5;

/**
 * Whole-response caching in Express 5 (autocannon, one server process, the same ~8 KB HTML page
 * from the same handler everywhere): Larder's cacheResponse on the memory backend against the
 * plain route and against apicache, and on memcached for information; medians of 5 interleaved
 * rounds. Before measuring, each cache must answer a second request without running the handler;
 * the handler counts after the run are printed, so a peer that stopped caching shows.
 */
export async function benchExpress(): Promise<ResultRow[]> {
  const memcached = await MemcachedServer.start();
  // Production mode, as Express apps are deployed (apicache then leaves out its debugging headers).
  const server = await startServerProcess<Record<App, number>>(new URL('./express-servers.ts', import.meta.url), { BENCH_MEMCACHED: memcached.address, NODE_ENV: 'production' });
  try {
    const base = (app: App) => `http://127.0.0.1:${server.ports[app]}`;
    for (const app of ['larder', 'apicache', 'memcached'] as const) await checkCaches(base(app), app);
    const [plain, cached, apicache, overMemcached, hitShaped] = await interleavedRates([
      { url: `${base('plain')}/page` },
      { url: `${base('larder')}/page` },
      { url: `${base('apicache')}/page` },
      { url: `${base('memcached')}/page` },
      { url: `${base('hitShaped')}/page` },
    ], { rounds: ROUNDS });
    const ran = async (app: App) => `handler ran ${(await calls(base(app))).toLocaleString('en-US')} time(s)`;
    const [larderRan, apicacheRan, memcachedRan] = [await ran('larder'), await ran('apicache'), await ran('memcached')];
    const page = `${(Buffer.byteLength(PAGE) / 1024).toFixed(1)} KB HTML page`;
    return [
      {
        benchmark: `Express 5 cacheResponse route, memory backend, vs plain Express route (${page}, autocannon, ${CONNECTIONS} connections)`,
        larder: `${rate(cached!, 'req/s')} (${larderRan})`,
        baseline: `${rate(plain!, 'req/s')} (plain route, res.send per request)`,
        ratio: cached! / plain!,
        target: '>= 1.30x',
        met: cached! / plain! >= 1.3,
      },
      {
        benchmark: `Express 5 cacheResponse route, memory backend, vs apicache.middleware('5 minutes') (${page}, autocannon, ${CONNECTIONS} connections)`,
        larder: rate(cached!, 'req/s'),
        baseline: `${rate(apicache!, 'req/s')} (apicache 1.6, ${apicacheRan})`,
        ratio: cached! / apicache!,
        target: '>= 1.20x',
        met: cached! / apicache! >= 1.2,
      },
      {
        benchmark: `Express 5 cacheResponse route, memory backend, vs a plain Express route sending what a hit sends (the page's bytes, a hit's headers): Larder's own cost of a hit (${page}, autocannon, ${CONNECTIONS} connections)`,
        larder: rate(cached!, 'req/s'),
        baseline: `${rate(hitShaped!, 'req/s')} (hit-shaped route)`,
        ratio: cached! / hitShaped!,
        target: 'printed, no target',
        met: true,
      },
      {
        benchmark: `Express 5 cacheResponse route on memcached vs plain Express route (${page}, autocannon, ${CONNECTIONS} connections)`,
        larder: `${rate(overMemcached!, 'req/s')} (${memcachedRan})`,
        baseline: `${rate(plain!, 'req/s')} (plain route)`,
        ratio: overMemcached! / plain!,
        target: 'printed, no target',
        met: true,
      },
    ];
  } finally {
    server.stop();
    await memcached.stop();
  }
}

/** Fails unless the app's cache answers the page's second request without running the handler again. */
async function checkCaches(base: string, app: App): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const response = await fetch(`${base}/page`);
    if (response.status !== 200 || (await response.text()) !== PAGE) throw new Error(`${app}: /page did not send the page (status ${response.status})`);
  }
  const ran = await calls(base);
  if (ran !== 1) throw new Error(`${app}: the handler ran ${ran} times for 2 requests: the cache does not cache`);
}

async function calls(base: string): Promise<number> {
  return ((await (await fetch(`${base}/calls`)).json()) as { calls: number }).calls;
}
