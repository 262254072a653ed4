import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { Cache, LarderError, MemcachedBackend, MemoryBackend, type Backend } from '../src/index.js';
import { memcachedCaches } from './memcached-caches.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const quiet = { warn() {} };

/** A factory that counts its runs and takes a moment, so concurrent callers overlap it. */
function counted(value: string) {
  const factory = async () => {
    factory.runs++;
    await sleep(50);
    return value;
  };
  factory.runs = 0;
  return factory;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 80 && !(await check()); i++) await sleep(25);
}

function counterOf(backend: Backend, tag: string): Promise<bigint> {
  return backend.get(`larder-tag:${tag}`).then((item) => BigInt(item!.value.toString('latin1').trim()));
}

describe('invalidateTags(tags, { soft: true }) on the memory backend', () => {
  it('makes tagged values stale: plain reads miss, getOrSet serves them while one refresh runs', async () => {
    const cache = new Cache({ logger: quiet });
    await cache.getOrSet('page', () => 'v1', { tags: ['t'], ttl: 300 });
    await cache.set('other', 'o1', { tags: ['u'] });
    assert.equal(await cache.invalidateTags(['t'], { soft: true, grace: 30 }), true);
    assert.equal(await cache.get('page'), undefined, 'a plain read misses a softened value');
    assert.deepEqual(await cache.getMany(['page']), {});
    assert.equal(await cache.get('other'), 'o1', 'another tag is untouched');
    const factory = counted('v2');
    const served = await Promise.all([1, 2, 3].map(() => cache.getOrSet('page', factory, { tags: ['t'], ttl: 300 })));
    assert.deepEqual(served, ['v1', 'v1', 'v1']);
    await until(async () => (await cache.get('page')) === 'v2');
    assert.equal(await cache.get('page'), 'v2');
    assert.equal(factory.runs, 1);
  });

  it('a hard invalidation after a soft one is a miss; so is the end of the grace', async () => {
    let now = 1_000_000;
    const cache = new Cache({ backend: new MemoryBackend({ now: () => now }), logger: quiet });
    await cache.set('a', 'a1', { tags: ['t'] });
    await cache.invalidateTags(['t'], { soft: true, grace: 60 });
    await cache.invalidateTags(['t']);
    assert.equal(await cache.getOrSet('a', () => 'a2', { tags: ['t'] }), 'a2', 'hard after soft: computed, never stale');
    await cache.set('b', 'b1', { tags: ['s'], ttl: 3600 });
    await cache.invalidateTags(['s'], { soft: true, grace: 10 });
    now += 11_000;
    assert.equal(await cache.getOrSet('b', () => 'b2', { tags: ['s'] }), 'b2', 'the marker expired: a miss');
  });

  it('consecutive soft invalidations keep the oldest values stale; a value written since is served fresh', async () => {
    const cache = new Cache({ logger: quiet });
    await cache.set('old', 'o1', { tags: ['t'] });
    await cache.invalidateTags(['t'], { soft: true });
    await cache.set('mid', 'm1', { tags: ['t'] });
    await cache.invalidateTags(['t'], { soft: true });
    await cache.set('new', 'n1', { tags: ['t'] });
    assert.equal(await cache.get('new'), 'n1');
    assert.equal(await cache.getOrSet('old', () => 'o2', { tags: ['t'] }), 'o1');
    assert.equal(await cache.getOrSet('mid', () => 'm2', { tags: ['t'] }), 'm1');
  });

  it('checks its options: grace without soft, a misspelt name, a bad grace', async () => {
    const cache = new Cache();
    await cache.set('k', 'v', { tags: ['t'] });
    await assert.rejects(cache.invalidateTags(['t'], { grace: 5 }), (error: unknown) => error instanceof LarderError && error.code === 'E_INVALID_ARGUMENT');
    await assert.rejects(cache.invalidateTags(['t'], { sfot: true } as never), (error: unknown) => error instanceof LarderError && error.code === 'E_INVALID_OPTION' && error.message.includes('"sfot"'));
    await assert.rejects(cache.invalidateTags(['t'], { soft: true, grace: 0 }), (error: unknown) => error instanceof LarderError && error.code === 'E_INVALID_ARGUMENT');
    assert.equal(await cache.get('k'), 'v', 'a refused invalidation bumps nothing');
  });
});

for (const protocol of ['binary', 'meta'] as const) {
  describe(`invalidateTags(tags, { soft: true }) on real memcached, ${protocol} protocol`, () => {
    const { open } = memcachedCaches(`soft-${protocol}`, protocol);

    it('two processes: both serve the stale value, one refresh runs in the cluster', async () => {
      const [a, b] = [open(), open()];
      await a.getOrSet('page', () => 'v1', { tags: ['t1'], ttl: 300 });
      assert.equal(await b.get('page'), 'v1');
      assert.equal(await a.invalidateTags(['t1'], { soft: true, grace: 30 }), true);
      assert.equal(await b.get('page'), undefined, 'a plain read in the other process misses it');
      const factory = counted('v2');
      const served = await Promise.all([a, b, a, b].map((cache) => cache.getOrSet('page', factory, { tags: ['t1'], ttl: 300 })));
      assert.deepEqual(served, ['v1', 'v1', 'v1', 'v1']);
      await until(async () => (await b.get('page')) === 'v2');
      assert.equal(await a.get('page'), 'v2');
      assert.equal(factory.runs, 1);
    });

    it("another process's near cache: its entry turns stale within checkInterval, not a miss", async () => {
      const a = open();
      const b = open({ near: { ttl: 60, checkInterval: 0.05 } });
      await a.set('near', 'n1', { tags: ['t2'], ttl: 300 });
      assert.equal(await b.get('near'), 'n1');
      await a.invalidateTags(['t2'], { soft: true });
      await sleep(60);
      assert.equal(await b.get('near'), undefined);
      assert.equal(await b.getOrSet('near', () => 'n2', { tags: ['t2'] }), 'n1');
      await until(async () => (await a.get('near')) === 'n2');
      assert.equal(await a.get('near'), 'n2');
    });

    it('a hard invalidation after a soft one is a miss, in the other process too', async () => {
      const [a, b] = [open(), open()];
      await a.set('k', 'k1', { tags: ['t3'] });
      await a.invalidateTags(['t3'], { soft: true });
      await b.invalidateTags(['t3']);
      assert.equal(await a.getOrSet('k', () => 'k2', { tags: ['t3'] }), 'k2');
    });

    it('the counter is even after a hard bump and odd after a soft one', async () => {
      const cache = open();
      await cache.set('p', 'p1', { tags: ['t4'] });
      assert.equal((await counterOf(cache.backend, 't4')) % 2n, 0n, 'a counter starts even');
      await cache.invalidateTags(['t4'], { soft: true });
      assert.equal((await counterOf(cache.backend, 't4')) % 2n, 1n);
      await cache.invalidateTags(['t4'], { soft: true });
      assert.equal((await counterOf(cache.backend, 't4')) % 2n, 1n);
      await cache.invalidateTags(['t4']);
      assert.equal((await counterOf(cache.backend, 't4')) % 2n, 0n);
      await cache.invalidateTags(['t4']);
      assert.equal((await counterOf(cache.backend, 't4')) % 2n, 0n);
    });

    it("the marker's expiry (by the server's clock) ends the grace", async () => {
      const cache = open();
      await cache.set('g', 'g1', { tags: ['t5'], ttl: 300 });
      await cache.invalidateTags(['t5'], { soft: true, grace: 1 });
      await sleep(2100);
      assert.equal(await cache.getOrSet('g', () => 'g2', { tags: ['t5'] }), 'g2');
    });

    it('a forged or damaged marker is a miss, never a stale serve', async () => {
      const cache = open();
      await cache.set('f', 'f1', { tags: ['t6'] });
      await cache.invalidateTags(['t6'], { soft: true });
      await cache.backend.set('larder-tag-soft:larder-tag:t6', { value: Buffer.from('not a marker'), flags: 0 }, 60);
      assert.equal(await cache.getOrSet('f', () => 'f2', { tags: ['t6'] }), 'f2');
    });

    it('a bump that leaves the counter odd (parity is only a hint) is a miss: the marker names the exact counter', async () => {
      const cache = open();
      await cache.set('h', 'h1', { tags: ['t7'] });
      await cache.invalidateTags(['t7'], { soft: true });
      await cache.backend.incr('larder-tag:t7', 2n);
      assert.equal((await counterOf(cache.backend, 't7')) % 2n, 1n);
      assert.equal(await cache.getOrSet('h', () => 'h2', { tags: ['t7'] }), 'h2');
    });
  });
}
