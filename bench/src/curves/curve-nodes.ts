import memjs from 'memjs';
import { Cache, MemcachedBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import { compare, type Contender } from '../measure.js';
import { runDescription, times, whole, writeCurve } from './output.js';
import type { CurveSettings } from './settings.js';

/** Ring sizes of the curve. */
export const NODE_COUNTS = [1, 2, 3, 4, 5] as const;
const KEYS = 1000;
const VALUE = 'a typical cached string value of some length';
const GET_CONCURRENCY = 50;
const BATCH = 100;

/**
 * Keys read per second against the number of real memcached nodes in the ring (in process, every
 * node on this machine): Larder's getMany of 100 keys next to 100 sequential awaited gets, and
 * Larder's get at concurrency 50 next to raw memjs's on the same ring; every ring size
 * interleaved per round, medians.
 */
export async function curveNodes(settings: CurveSettings): Promise<void> {
  const servers = await Promise.all(NODE_COUNTS.map(() => MemcachedServer.start()));
  const addresses = servers.map((s) => s.address);
  const keys = Array.from({ length: KEYS }, (_, i) => `curve:${i}`);
  const rings = NODE_COUNTS.map((n) => ({
    n,
    cache: new Cache({ backend: new MemcachedBackend({ servers: addresses.slice(0, n) }) }),
    raw: memjs.Client.create(addresses.slice(0, n).join(','), { logger: { log: () => {} } }),
  }));
  try {
    for (const { cache, raw } of rings) {
      for (const key of keys) {
        await cache.set(key, VALUE);
        await raw.set(key, VALUE, { expires: 600 });
      }
    }
    const getOps = settings.quick ? 2000 : 20_000;
    const gets = await compare(
      rings.flatMap(({ n, cache, raw }): Contender[] => [
        { name: `larder get, ${n} nodes`, op: (i) => cache.get(keys[i % KEYS]!) },
        { name: `memjs get, ${n} nodes`, op: (i) => raw.get(keys[i % KEYS]!) },
      ]),
      { ops: getOps, concurrency: GET_CONCURRENCY, rounds: settings.rounds, warmup: settings.quick ? 200 : 2000 },
    );
    const batch = (i: number) => keys.slice((i * BATCH) % KEYS, ((i * BATCH) % KEYS) + BATCH);
    const batches = await compare(
      rings.flatMap(({ n, cache }): Contender[] => [
        { name: `larder getMany, ${n} nodes`, op: (i) => cache.getMany(batch(i)) },
        {
          name: `larder ${BATCH} sequential gets, ${n} nodes`,
          op: async (i) => {
            for (const key of batch(i)) await cache.get(key);
          },
        },
      ]),
      { ops: settings.quick ? 20 : 200, rounds: settings.rounds, warmup: settings.quick ? 5 : 50 },
    );
    const larderGet = rings.map((_, r) => gets[2 * r]!.opsPerSec);
    const memjsGet = rings.map((_, r) => gets[2 * r + 1]!.opsPerSec);
    const manyKeys = rings.map((_, r) => batches[2 * r]!.opsPerSec * BATCH);
    const sequentialKeys = rings.map((_, r) => batches[2 * r + 1]!.opsPerSec * BATCH);
    writeCurve(
      settings,
      'curve-nodes',
      {
        title: 'Keys read per second against memcached nodes in the ring',
        subtitle: `in process, every node on this machine; median of ${settings.rounds} interleaved rounds; ${runDescription(settings)}`,
        x: { label: 'memcached nodes', ticks: NODE_COUNTS, format: String },
        y: { label: 'keys read', unit: 'keys/s', log: true },
        series: [
          { name: `Larder getMany(${BATCH}), one batch at a time`, points: NODE_COUNTS.map((n, r) => [n, manyKeys[r]!] as [number, number]) },
          { name: `Larder, ${BATCH} sequential awaited gets`, points: NODE_COUNTS.map((n, r) => [n, sequentialKeys[r]!] as [number, number]) },
          { name: `Larder get, concurrency ${GET_CONCURRENCY}`, points: NODE_COUNTS.map((n, r) => [n, larderGet[r]!] as [number, number]) },
          { name: `raw memjs get, concurrency ${GET_CONCURRENCY}`, points: NODE_COUNTS.map((n, r) => [n, memjsGet[r]!] as [number, number]) },
        ],
      },
      {
        columns: ['nodes', `getMany(${BATCH})`, `${BATCH} sequential gets`, 'getMany / sequential', `Larder get (c${GET_CONCURRENCY})`, `memjs get (c${GET_CONCURRENCY})`, 'Larder / memjs'],
        rows: NODE_COUNTS.map((n, r) => [
          String(n),
          `${whole(manyKeys[r]!)} keys/s`,
          `${whole(sequentialKeys[r]!)} keys/s`,
          times(manyKeys[r]! / sequentialKeys[r]!),
          `${whole(larderGet[r]!)} keys/s`,
          `${whole(memjsGet[r]!)} keys/s`,
          times(larderGet[r]! / memjsGet[r]!),
        ]),
      },
      { nodes: NODE_COUNTS, keys: KEYS, getOpsPerRound: getOps, larderGet, memjsGet, getManyKeysPerSecond: manyKeys, sequentialKeysPerSecond: sequentialKeys },
    );
  } finally {
    for (const { cache, raw } of rings) {
      raw.close();
      await cache.close();
    }
    await Promise.all(servers.map((s) => s.stop()));
  }
}
