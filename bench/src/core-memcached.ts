import memjs from 'memjs';
import { Cache, MemcachedBackend, MemoryBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import { benchGetManyVsSequential } from './get-many.js';
import { benchNearHerd } from './near-herd.js';
import { compare } from './measure.js';
import { rate, type ResultRow } from './report.js';

const KEYS = 1000;
const VALUE = 'a typical cached string value of some length';

/** Cache(memcached) against raw memjs on the same server, and getMany against sequential gets. */
export async function benchCoreMemcached(): Promise<ResultRow[]> {
  const server = await MemcachedServer.start();
  const cache = new Cache({ backend: new MemcachedBackend({ servers: server.address }) });
  const raw = memjs.Client.create(server.address, { logger: { log: () => {} } });
  const keys = Array.from({ length: KEYS }, (_, i) => `bench:${i}`);
  try {
    for (const key of keys) await cache.set(key, VALUE);
    const rows: ResultRow[] = [];
    for (const concurrency of [1, 50]) {
      const ops = concurrency === 1 ? 20_000 : 60_000;
      const [larderGet, memjsGet] = await compare(
        [
          { name: 'larder get', op: (i) => cache.get(keys[i % KEYS]!) },
          { name: 'memjs get', op: (i) => raw.get(keys[i % KEYS]!) },
        ],
        { ops, concurrency },
      );
      const [larderSet, memjsSet] = await compare(
        [
          { name: 'larder set', op: (i) => cache.set(keys[i % KEYS]!, VALUE) },
          { name: 'memjs set', op: (i) => raw.set(keys[i % KEYS]!, VALUE, { expires: 300 }) },
        ],
        { ops, concurrency },
      );
      rows.push(versus(`Cache(memcached) get, concurrency ${concurrency}`, larderGet!.opsPerSec, memjsGet!.opsPerSec));
      rows.push(versus(`Cache(memcached) set, concurrency ${concurrency}`, larderSet!.opsPerSec, memjsSet!.opsPerSec));
    }
    rows.push(await benchGetManyVsSequential(cache, keys, 'getMany of 100 keys vs 100 sequential gets (memcached)'));
    rows.push(...(await benchNearHotKey(server.address)));
    rows.push(await benchNearHerd(server));
    return rows;
  } finally {
    raw.close();
    await cache.close();
    await server.stop();
  }
}

// A product record of about 760 bytes of JSON.
const PRODUCT = { id: 7, name: 'Product name here', tags: ['a', 'b', 'c'], price: 12.5, variants: Array.from({ length: 12 }, (_, i) => ({ sku: `SKU-${i}-xyz`, stock: i * 3, color: 'blue', size: 'M' })) };

/**
 * `get` of one hot key: a memcached Cache with a near cache against a memory-backend Cache; and
 * what protecting near values costs: frozen once per fill (as shipped) against a copy per hit.
 */
async function benchNearHotKey(servers: string): Promise<ResultRow[]> {
  const near = new Cache({ backend: new MemcachedBackend({ servers }), near: true });
  const memory = new Cache({ backend: new MemoryBackend() });
  try {
    await near.set('hot', VALUE);
    await memory.set('hot', VALUE);
    const [nearGet, memoryGet] = await compare(
      [
        { name: 'near get', op: () => near.get('hot') },
        { name: 'memory get', op: () => memory.get('hot') },
      ],
      { ops: 200_000, concurrency: 1 },
    );
    const ratio = nearGet!.opsPerSec / memoryGet!.opsPerSec;
    await near.set('product', PRODUCT);
    await near.get('product');
    const [frozen, copied] = await compare(
      [
        { name: 'near get, frozen', op: () => near.get('product') },
        { name: 'near get + structuredClone', op: async () => structuredClone(await near.get('product')) },
      ],
      { ops: 100_000, concurrency: 1 },
    );
    return [
      {
        benchmark: 'get of a hot key: Cache(memcached) with a near cache vs Cache(memory)',
        larder: rate(nearGet!.opsPerSec),
        baseline: `${rate(memoryGet!.opsPerSec)} (memory backend)`,
        ratio,
        target: '>= 0.8x',
        met: ratio >= 0.8,
      },
      {
        benchmark: 'near hit of a 760-byte object: frozen once when filled (as shipped) vs a structuredClone per hit',
        larder: rate(frozen!.opsPerSec),
        baseline: `${rate(copied!.opsPerSec)} (copy per hit)`,
        ratio: frozen!.opsPerSec / copied!.opsPerSec,
        target: 'printed (why values are frozen)',
        met: true,
      },
    ];
  } finally {
    await Promise.all([near.close(), memory.close()]);
  }
}

function versus(benchmark: string, larder: number, memjsRate: number): ResultRow {
  const ratio = larder / memjsRate;
  return { benchmark, larder: rate(larder), baseline: `${rate(memjsRate)} (raw memjs)`, ratio, target: '>= 0.9x', met: ratio >= 0.9 };
}
