import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { Cache, LarderError, MemcachedBackend } from '../src/index.js';
import { memcachedCaches } from './memcached-caches.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

for (const protocol of ['meta', 'binary'] as const) {
  describe(`delete(key, { soft: true }) on real memcached, ${protocol} protocol`, () => {
    const { open } = memcachedCaches(`soft-${protocol}`, protocol);

    it('marks the value stale: plain reads miss it, getOrSet under grace serves it while one refresh runs', async () => {
      const [a, b] = [open(), open()];
      await a.getOrSet('soft', () => 'v1', { ttl: 300, grace: 60 });
      assert.equal(await a.delete('soft', { soft: true }), true);
      assert.equal(await a.get('soft'), undefined);
      let refreshes = 0;
      const factory = async () => {
        refreshes++;
        await sleep(100);
        return 'v2';
      };
      const served = await Promise.all([a.getOrSet('soft', factory, { ttl: 300, grace: 60, lock: true }), b.getOrSet('soft', factory, { ttl: 300, grace: 60, lock: true })]);
      assert.deepEqual(served, ['v1', 'v1']);
      for (let i = 0; i < 40 && (await a.get('soft')) !== 'v2'; i++) await sleep(25);
      assert.equal(await b.get('soft'), 'v2');
      assert.equal(refreshes, 1);
    });

    it('a value written without grace is served stale too, and an absent key is false', async () => {
      const cache = open();
      await cache.set('plain', 'p1');
      assert.equal(await cache.delete('plain', { soft: true }), true);
      assert.equal(await cache.get('plain'), undefined);
      assert.equal(await cache.getOrSet('plain', () => 'p2', { grace: 60 }), 'p1');
      for (let i = 0; i < 40 && (await cache.get('plain')) !== 'p2'; i++) await sleep(25);
      assert.equal(await cache.get('plain'), 'p2');
      assert.equal(await cache.delete('never-there', { soft: true }), false);
    });

    it("a namespace's delete passes its options on: soft marks the value stale, hard removes it", async () => {
      const cache = open();
      const products = cache.namespace('products');
      await products.set('7', 'kettle', 300);
      await products.set('8', 'toaster', 300);
      assert.equal(await products.delete('7', { soft: true, grace: 60 }), true);
      assert.equal(await products.get('7'), undefined);
      assert.equal(await products.getOrSet('7', () => 'kettle v2', { grace: 60 }), 'kettle', 'served stale, not recomputed');
      for (let i = 0; i < 40 && (await products.get('7')) !== 'kettle v2'; i++) await sleep(25);
      assert.equal(await products.get('7'), 'kettle v2');
      assert.equal(await products.delete('8'), true);
      assert.equal(await products.getOrSet('8', () => 'toaster v2', { grace: 60 }), 'toaster v2', 'a hard delete is a miss');
    });

    it('refuses unknown option names with E_INVALID_OPTION', async () => {
      const cache = open();
      await assert.rejects(cache.delete('x', { sfot: true } as never), (error: unknown) => error instanceof LarderError && error.code === 'E_INVALID_OPTION');
    });
  });
}

describe('the options of delete and invalidateTags are checked', () => {
  const invalidOption = (name: string) => (error: unknown) => error instanceof LarderError && error.code === 'E_INVALID_OPTION' && error.message.includes(`"${name}"`);

  it('delete: a name other than soft and grace is E_INVALID_OPTION naming it and the closest', async () => {
    const cache = new Cache();
    await cache.set('k', 'v');
    await assert.rejects(cache.delete('k', { soft: true, grase: 5 } as never), (error: unknown) => invalidOption('grase')(error) && (error as Error).message.includes('did you mean "grace"'));
    await assert.rejects(cache.delete('k', { Soft: true } as never), invalidOption('Soft'));
    assert.equal(await cache.get('k'), 'v', 'a refused delete deletes nothing');
    assert.equal(await cache.delete('k', { soft: true, grace: undefined } as never), true, 'undefined counts as not given');
    await cache.close();
  });

  it("a namespace's delete checks its options as Cache.delete does, and a refused one deletes nothing", async () => {
    const cache = new Cache();
    const ns = cache.namespace('n');
    await ns.set('k', 'v');
    await assert.rejects(ns.delete('k', { sfot: true } as never), invalidOption('sfot'));
    await assert.rejects(ns.delete('k', { soft: 'yes' } as never), (error: unknown) => error instanceof LarderError && error.code === 'E_INVALID_ARGUMENT');
    assert.equal(await ns.get('k'), 'v');
    assert.equal(await ns.delete('k', { soft: true }), true);
    assert.equal(await ns.get('k'), undefined);
    assert.equal(await ns.getOrSet('k', () => 'v2'), 'v', 'soft on the memory backend too');
    await cache.close();
  });

  it('invalidateTags: a name other than soft and grace is E_INVALID_OPTION; a refused call bumps nothing', async () => {
    const cache = new Cache();
    await cache.set('k', 'v', { tags: ['t'] });
    await assert.rejects(cache.invalidateTags(['t'], { sfot: true } as never), (error: unknown) => invalidOption('sfot')(error) && (error as Error).message.includes('did you mean "soft"'));
    assert.equal(await cache.get('k'), 'v', 'a refused invalidation bumps nothing');
    assert.equal(await cache.invalidateTags(['t'], {}), true);
    assert.equal(await cache.get('k'), undefined);
    await cache.close();
  });
});
