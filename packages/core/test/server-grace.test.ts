import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { Cache, MemcachedBackend } from '../src/index.js';
import { startLatencyProxy, type LatencyProxy } from './latency-proxy.js';

// Round trips counted by a proxy that delays each direction by DELAY ms: one round trip takes at
// least 2 × DELAY. Bounds are in round trips of that delay, never in absolute machine speed.
const DELAY = 100;
const RTT = 2 * DELAY;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

for (const protocol of ['meta', 'binary'] as const) {
  describe(`getOrSet round trips through a delaying proxy, ${protocol} protocol`, () => {
    let server: MemcachedServer;
    let proxy: LatencyProxy;
    const caches: Cache[] = [];
    const open = () => {
      const cache = new Cache({ backend: new MemcachedBackend({ servers: proxy.address, protocol, timeout: 5000 }), logger: { warn() {} } });
      caches.push(cache);
      return cache;
    };
    before(async () => {
      server = await MemcachedServer.start();
      proxy = await startLatencyProxy({ host: server.host, port: server.port }, DELAY);
    });
    after(async () => {
      await Promise.all(caches.map((cache) => cache.close()));
      await proxy.close();
      await server.stop();
    });

    const roundTrips = protocol === 'meta' ? 1 : 2;
    it(`a cold locked miss starts its factory after ${roundTrips} round trip${roundTrips > 1 ? 's' : ''}`, async () => {
      const cache = open();
      await cache.get('warm-up'); // the connection is up before the clock starts
      const started = performance.now();
      let factoryAt = 0;
      const value = await cache.getOrSet('cold', () => {
        factoryAt = performance.now() - started;
        return 'computed';
      }, { lock: true, ttl: 60 });
      assert.equal(value, 'computed');
      assert.ok(factoryAt >= roundTrips * RTT, `factory after ${factoryAt.toFixed(0)} ms, before ${roundTrips} round trips`);
      assert.ok(factoryAt < (roundTrips + 1) * RTT, `factory after ${factoryAt.toFixed(0)} ms, ${roundTrips + 1} round trips or more`);
      assert.equal(await cache.get('cold'), 'computed');
    });

    it('a stale read with grace answers after one round trip, and one refresh runs across two processes', async () => {
      const [a, b] = [open(), open()];
      await a.getOrSet('stale', () => 'old', { ttl: 1, grace: 60 });
      await b.get('warm-up');
      await sleep(2100); // past the ttl on memcached's one-second clock
      let refreshes = 0;
      const factory = async () => {
        refreshes++;
        await sleep(50);
        return 'new';
      };
      const started = performance.now();
      const [first, second] = await Promise.all([a.getOrSet('stale', factory, { ttl: 60, grace: 60, lock: true }), b.getOrSet('stale', factory, { ttl: 60, grace: 60, lock: true })]);
      const elapsed = performance.now() - started;
      assert.deepEqual([first, second], ['old', 'old']);
      assert.ok(elapsed >= RTT && elapsed < 2 * RTT, `stale answered after ${elapsed.toFixed(0)} ms, not one round trip`);
      for (let i = 0; i < 50 && (await a.get('stale')) !== 'new'; i++) await sleep(50);
      assert.equal(await a.get('stale'), 'new');
      assert.equal(refreshes, 1);
    });

    it('two processes missing one cold key under the lock compute it once; the other gets its value', async () => {
      const [a, b] = [open(), open()];
      await Promise.all([a.get('warm'), b.get('warm')]);
      let runs = 0;
      const factory = async () => {
        runs++;
        await sleep(300);
        return 'once';
      };
      const answers = await Promise.all([a.getOrSet('shared', factory, { lock: true, ttl: 60 }), b.getOrSet('shared', factory, { lock: true, ttl: 60 })]);
      assert.deepEqual(answers, ['once', 'once']);
      assert.equal(runs, 1);
    });
  });
}

describe('server-side lock on meta: the placeholder', () => {
  let server: MemcachedServer;
  let cache: Cache;
  before(async () => {
    server = await MemcachedServer.start();
    cache = new Cache({ backend: new MemcachedBackend({ servers: server.address, protocol: 'meta' }), logger: { warn() {} } });
  });
  after(async () => {
    await cache.close();
    await server.stop();
  });

  it('is a miss to plain reads while the lead computes, and gone when it fails', async () => {
    let release!: () => void;
    const computing = cache.getOrSet('held', () => new Promise<string>((resolve, reject) => (release = () => reject(new Error('boom')))), { lock: true });
    await sleep(50);
    assert.equal(await cache.get('held'), undefined);
    assert.equal(await cache.backend.get(cache.backendKey('held')), undefined);
    assert.deepEqual(await cache.getMany(['held']), {});
    release();
    await assert.rejects(computing, /boom/);
    await sleep(20);
    // The failed lead deleted its placeholder: the next caller wins at once and computes.
    const started = performance.now();
    assert.equal(await cache.getOrSet('held', () => 'second', { lock: true }), 'second');
    assert.ok(performance.now() - started < 500);
  });
});
