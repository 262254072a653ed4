import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { Cache, MemcachedBackend } from '../src/index.js';
import { FallbackBackend } from '../src/memcached.js';

describe('moving to a new cluster behind a FallbackBackend', () => {
  let oldServers: MemcachedServer[];
  let newServers: MemcachedServer[];
  before(async () => {
    [oldServers, newServers] = await Promise.all([
      Promise.all([MemcachedServer.start(), MemcachedServer.start()]),
      Promise.all([MemcachedServer.start(), MemcachedServer.start()]),
    ]);
  });
  after(() => Promise.all([...oldServers, ...newServers].map((s) => s.stop())));

  it('serves hits from the first request, warms the new cluster, writes to the new one, deletes on both', async () => {
    const oldOnly = new Cache({ backend: new MemcachedBackend({ servers: oldServers.map((s) => s.address) }), logger: { warn() {} } });
    const newOnly = new Cache({ backend: new MemcachedBackend({ servers: newServers.map((s) => s.address), protocol: 'meta' }), logger: { warn() {} } });
    const keys = Array.from({ length: 50 }, (_, i) => `product:${i}`);
    for (const key of keys) await oldOnly.set(key, { key, price: key.length });
    await oldOnly.set('visits', 10);

    const migrating = new Cache({
      backend: new FallbackBackend({
        primary: new MemcachedBackend({ servers: newServers.map((s) => s.address), protocol: 'meta' }),
        fallback: new MemcachedBackend({ servers: oldServers.map((s) => s.address) }),
      }),
      logger: { warn() {} },
    });
    try {
      let computed = 0;
      const first = await migrating.getOrSet('product:0', () => {
        computed++;
        return { key: 'product:0', price: -1 };
      });
      assert.deepEqual(first, { key: 'product:0', price: 9 }, 'the very first request is a hit from the old cluster');
      assert.equal(computed, 0);
      const many = await migrating.getMany(keys);
      assert.equal(Object.keys(many).length, keys.length);
      // The new cluster is warm afterwards: it answers alone.
      const fromNew = await newOnly.getMany(keys);
      assert.equal(Object.keys(fromNew).length, keys.length);
      // A counter carries on from the old value.
      assert.equal(await migrating.backend.incr('visits', 1n), 11n);
      // Writes go to the new cluster only; the old one is left as it was.
      await migrating.set('product:1', { key: 'product:1', price: 100 });
      assert.deepEqual(await newOnly.get('product:1'), { key: 'product:1', price: 100 });
      assert.deepEqual(await oldOnly.get('product:1'), { key: 'product:1', price: 9 });
      // A delete reaches both, so the old value cannot come back on the next miss.
      await migrating.delete('product:2');
      assert.equal(await migrating.get('product:2'), undefined);
      assert.equal(await oldOnly.get('product:2'), undefined);
    } finally {
      await Promise.all([migrating.close(), oldOnly.close(), newOnly.close()]);
    }
  });
});
