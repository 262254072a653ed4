import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { Cache, MemcachedBackend } from '../src/index.js';
import { memcachedCaches } from './memcached-caches.js';

const quiet = { warn() {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('near cache refill: one read per hot key per process, never a herd at expiry', () => {
  const { open, fresh, server, track } = memcachedCaches('refill');
  const nearCache = (ttl: string) => track(new Cache({ backend: new MemcachedBackend({ servers: server().address }), near: { ttl: ttl as `${number}ms` }, logger: quiet }));

  it('bursts of 50 concurrent reads of a hot key across four near ttls read memcached about once per three quarters of a ttl', async () => {
    const cache = nearCache('200ms');
    const key = fresh();
    await open().set(key, 'hot');
    assert.equal(await cache.get(key), 'hot');
    const before = Number((await server().stats()).cmd_get);
    const missesBefore = cache.stats().nearMisses;
    const until = Date.now() + 800;
    let reads = 0;
    while (Date.now() < until) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => cache.get(key)));
      assert.ok(answers.every((answer) => answer === 'hot'));
      reads += 50;
      await sleep(5);
    }
    const gets = Number((await server().stats()).cmd_get) - before;
    assert.equal(cache.stats().nearMisses - missesBefore, 0, 'no reader found the entry expired');
    // 800 ms / 150 ms refills, plus one for timer slack; a herd would be 50 reads per expiry.
    assert.ok(gets >= 3 && gets <= 8, `${gets} reads of memcached for ${reads} reads of the cache`);
  });

  it('a refill brings another process’s write before the entry expires, and a delete drops the entry', async () => {
    const cache = nearCache('1s');
    const other = open();
    const key = fresh();
    await other.set(key, 'v1');
    assert.equal(await cache.get(key), 'v1');
    await other.set(key, 'v2');
    await sleep(800); // past three quarters of the ttl, before its end
    const misses = cache.stats().nearMisses;
    assert.equal(await cache.get(key), 'v1', 'the entry is served while its refill runs');
    assert.equal(await until(() => cache.get(key), 'v2'), 'v2', 'the refill replaced it');
    assert.equal(cache.stats().nearMisses, misses, 'replaced, not expired');
    await other.delete(key);
    await sleep(800);
    assert.equal(await cache.get(key), 'v2', 'served while the refill runs');
    assert.equal(await until(() => cache.get(key), undefined), undefined, 'the refill found the key gone: no longer held');
  });

  it('a refill counts no hit or miss of its own, and a write of this process during it wins', async () => {
    const cache = nearCache('1s');
    const key = fresh();
    await cache.set(key, 'a');
    assert.equal(await cache.get(key), 'a');
    await sleep(800);
    const { hits, misses } = cache.stats();
    let reads = 0;
    const read = () => (reads++, cache.get(key));
    assert.equal(await read(), 'a', 'starts the refill');
    await cache.set(key, 'b');
    assert.equal(await until(read, 'b'), 'b');
    await sleep(50); // the refill, if it were let fill, has answered by now
    assert.equal(await read(), 'b', 'the older read did not put a back');
    assert.equal(cache.stats().misses, misses);
    assert.equal(cache.stats().hits, hits + reads, 'the reads above, not the refill');
  });

  it('memcached down: a failed refill is counted once and the entry served to its end, not refilled on every read', async (t) => {
    const own = await MemcachedServer.start();
    t.after(() => own.stop());
    const cache = track(new Cache({ backend: new MemcachedBackend({ servers: own.address, timeout: 200 }), near: { ttl: '1s' }, logger: quiet }));
    const key = fresh();
    await cache.set(key, 'v');
    assert.equal(await cache.get(key), 'v');
    await own.kill();
    await sleep(800);
    const errors = cache.stats().errors;
    for (let i = 0; i < 20; i++) {
      assert.equal(await cache.get(key), 'v', 'served from the entry until it expires');
      await sleep(5);
    }
    assert.equal(cache.stats().errors, errors + 1, 'one refill, one failure');
  });

  it('close() waits for a refill under way: no error from a read of a closed backend', async () => {
    const cache = nearCache('200ms');
    const errors: unknown[] = [];
    cache.on('error', (event) => errors.push(event));
    const key = fresh();
    await cache.set(key, 'v');
    assert.equal(await cache.get(key), 'v');
    await sleep(160);
    assert.equal(await cache.get(key), 'v', 'starts the refill');
    await cache.close();
    await sleep(50); // a read failed by the close would report by now
    assert.deepEqual(errors, []);
  });
});

/** Calls `read` every 5 ms until it gives `wanted` (at most 100 times); returns the last answer. */
async function until<T>(read: () => Promise<T>, wanted: T): Promise<T> {
  let answer = await read();
  for (let i = 0; i < 100 && answer !== wanted; i++) {
    await sleep(5);
    answer = await read();
  }
  return answer;
}
