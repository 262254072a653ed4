import memjs from 'memjs';
import { LRUCache } from 'lru-cache';
import { Cache, MemcachedBackend } from '@larder/core';
import type { MemcachedServer } from '@larder/testing';
import type { ResultRow } from './report.js';

const READERS = 50;
const NEAR_TTL_MS = 500;
const DURATION_MS = 4000;
const VALUE = 'a hot value every request reads';

/** Runs READERS concurrent read loops of `read` for DURATION_MS; resolves with the reads made. */
async function readLoops(read: () => Promise<unknown>): Promise<number> {
  const until = Date.now() + DURATION_MS;
  let reads = 0;
  const loop = async () => {
    while (Date.now() < until) {
      await read();
      reads++;
      // Yield to I/O between reads, as requests of a server do.
      if (reads % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: READERS }, loop));
  return reads;
}

/**
 * The near cache's refill (issue 26): READERS concurrent readers of one hot key for DURATION_MS,
 * counting the reads memcached itself saw (`stats` cmd_get). Baseline: what a user writes by
 * hand, an lru-cache with the same ttl in front of memjs, where every reader that finds the entry
 * expired reads memcached (the herd at each expiry). Larder's target: about one read per three
 * quarters of the ttl, whatever the readers.
 */
export async function benchNearHerd(server: MemcachedServer): Promise<ResultRow> {
  const raw = memjs.Client.create(server.address, { logger: { log: () => {} } });
  const cache = new Cache({ backend: new MemcachedBackend({ servers: server.address }), near: { ttl: `${NEAR_TTL_MS}ms` } });
  const lru = new LRUCache<string, string>({ max: 1000, ttl: NEAR_TTL_MS });
  try {
    await cache.set('herd:larder', VALUE);
    await raw.set('herd:hand', VALUE, { expires: 300 });
    // Both warm (one read each) before counting: what is measured is a hot key's life, not its first read.
    await cache.get('herd:larder');
    lru.set('herd:hand', VALUE);
    const gets = async () => Number((await server.stats()).cmd_get);
    let before = await gets();
    await readLoops(() => cache.get('herd:larder'));
    const larderGets = (await gets()) - before;
    before = await gets();
    await readLoops(async () => {
      const held = lru.get('herd:hand');
      if (held !== undefined) return held;
      const { value } = await raw.get('herd:hand');
      const text = value?.toString() ?? '';
      lru.set('herd:hand', text);
      return text;
    });
    const handGets = (await gets()) - before;
    const bound = Math.ceil(DURATION_MS / (NEAR_TTL_MS * 0.75)) + 2;
    return {
      benchmark: `memcached reads of one hot key, ${READERS} concurrent readers for ${DURATION_MS / 1000} s, near ttl ${NEAR_TTL_MS} ms: Larder's near cache vs lru-cache (same ttl) in front of memjs`,
      larder: `${larderGets} reads of memcached`,
      baseline: `${handGets} reads (the herd at every expiry)`,
      ratio: handGets / Math.max(1, larderGets),
      target: `one refill per key per process: <= ${bound} reads`,
      met: larderGets <= bound,
    };
  } finally {
    raw.close();
    await cache.close();
  }
}
