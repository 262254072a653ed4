import autocannon from 'autocannon';
import { MemcachedServer } from '@larder/testing';
import { CONNECTIONS } from './http-rate.js';
import type { ResultRow } from './report.js';
import { startServerProcess } from './server-process.js';

const ROUNDS = 5;
// Requests per measurement, fired right after the page went stale: the window the row is about.
const REQUESTS = 2000;

/**
 * p99 latency under load (autocannon, 50 connections, memcached) of a view-cached route whose
 * page expires every second and takes 200 ms to render: with grace (stale pages answered while one
 * refresh runs) against a page that stays fresh, and without grace (every expiry makes the
 * connections wait for the handler) printed beside it. Interleaved rounds, medians.
 */
export async function benchHttpStale(): Promise<ResultRow[]> {
  const memcached = await MemcachedServer.start();
  const server = await startServerProcess<{ app: number }>(new URL('./stale-servers.ts', import.meta.url), { BENCH_MEMCACHED: memcached.address });
  try {
    const base = `http://127.0.0.1:${server.ports.app}`;
    await fetch(`${base}/fresh`);
    const samples = { fresh: [] as Latency[], grace: [] as Latency[], plain: [] as Latency[] };
    for (let round = 0; round < ROUNDS; round++) {
      samples.fresh.push(await latency(`${base}/fresh`));
      samples.grace.push(await latencyAfterExpiry(`${base}/grace/${round}`));
      samples.plain.push(await latencyAfterExpiry(`${base}/plain-ttl/${round}`));
    }
    const [fresh, grace, plain] = [median(samples.fresh), median(samples.grace), median(samples.plain)];
    const show = (l: Latency) => `p99 ${l.p99} ms, max ${l.max} ms`;
    return [
      {
        benchmark: `p99 latency of the first ${REQUESTS} requests after a view-cached page on memcached went stale (200 ms handler), grace on, vs a fresh hit (autocannon, ${CONNECTIONS} connections)`,
        larder: `${show(grace)} with grace; without grace: ${show(plain)}`,
        baseline: `${show(fresh)} (fresh hit)`,
        ratio: grace.p99 / fresh.p99,
        target: '<= 2x',
        met: grace.p99 / fresh.p99 <= 2,
      },
    ];
  } finally {
    server.stop();
    await memcached.stop();
  }
}

interface Latency {
  p99: number;
  max: number;
}

/** Stores the page, waits until its 1 s ttl is over, then measures the requests that meet it stale. */
async function latencyAfterExpiry(url: string): Promise<Latency> {
  await fetch(url);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  return latency(url);
}

async function latency(url: string): Promise<Latency> {
  const result = await autocannon({ url, connections: CONNECTIONS, amount: REQUESTS });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  return { p99: result.latency.p99, max: result.latency.max };
}

/** The sample with the median p99. */
function median(values: Latency[]): Latency {
  return [...values].sort((a, b) => a.p99 - b.p99)[Math.floor(values.length / 2)]!;
}
