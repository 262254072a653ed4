import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memcachedCaches } from './memcached-caches.js';
import { Cache, MemcachedBackend, MemoryBackend, type CacheKeyEvent } from '../src/index.js';
import { HeldReads } from './held-reads.js';

const quiet = { warn() {} };

describe('near cache over memcached (one process)', () => {
  const { open, fresh, server, track } = memcachedCaches('near');

  it('serves a hot key from memory until its ttl, counted apart; another writer shows after it', async () => {
    const near = open({ near: { ttl: '10m' } });
    const other = open();
    const key = fresh();
    const events: string[] = [];
    near.on('near-hit', ({ key: k }: CacheKeyEvent) => events.push(`hit ${k}`));
    near.on('near-miss', ({ key: k }: CacheKeyEvent) => events.push(`miss ${k}`));
    await other.set(key, 'v1');
    assert.equal(await near.get(key), 'v1');
    await other.set(key, 'v2');
    assert.equal(await near.get(key), 'v1', 'held near: another process’s write is not seen within the near ttl');
    assert.equal(await near.get(key, { fresh: true }), 'v2', '{ fresh: true } reads the backend');
    assert.equal(await near.get(key), 'v1', 'a fresh read leaves the near cache as it was');
    const stats = near.stats();
    assert.equal(stats.nearHits, 2);
    assert.equal(stats.nearMisses, 1);
    assert.equal(stats.hits, 4);
    assert.equal(stats.near?.items, 1);
    assert.deepEqual(events, [`miss ${key}`, `hit ${key}`, `hit ${key}`]);
  });

  it('own set, delete, incr, touch, add, replace and cas show at once', async () => {
    const near = open({ near: { ttl: '10m' } });
    const key = fresh();
    const read = async () => near.get(key);
    await near.set(key, 'a');
    assert.equal(await read(), 'a');
    await near.set(key, 'b');
    assert.equal(await read(), 'b');
    await near.delete(key);
    assert.equal(await read(), undefined);
    await near.add(key, 'c');
    assert.equal(await read(), 'c');
    await near.replace(key, 'd');
    assert.equal(await read(), 'd');
    const token = await near.gets(key);
    await near.cas(key, 'e', token!.cas);
    assert.equal(await read(), 'e');
    await near.set(key, 5);
    assert.equal(await read(), 5);
    await near.incr(key, 2);
    assert.equal(await read(), 7);
    await near.setMany({ [key]: 'f' });
    assert.equal(await read(), 'f');
    await near.deleteMany([key]);
    assert.equal(await read(), undefined);
    await near.set(key, 'g', 60);
    assert.equal(await read(), 'g');
    await near.touch(key, 1);
    assert.equal(near.stats().near?.items, 0, 'touch dropped the entry (its ttl changed)');
  });

  it('a read that a write overtook does not fill the near cache with the old value', async () => {
    const backend = new HeldReads(new MemcachedBackend({ servers: server().address }));
    const near = new Cache({ backend, near: { ttl: '10m' }, logger: quiet });
    track(near);
    const key = fresh();
    await near.set(key, 'old');
    backend.holdNext();
    const slowRead = near.get(key);
    await backend.held;
    await near.set(key, 'new');
    backend.release();
    assert.equal(await slowRead, 'old', 'the read answers with what it found');
    assert.equal(await near.get(key), 'new', 'but what it found was not kept');
  });

  it('values handed out cannot be changed by the caller: objects are frozen, Buffers copied', async () => {
    const near = open({ near: { ttl: '10m' } });
    const key = fresh();
    await near.set(key, { user: { name: 'ada', roles: ['admin'] } });
    const first = await near.get<{ user: { name: string; roles: string[] } }>(key);
    assert.throws(() => {
      first!.user.name = 'mallory';
    }, TypeError);
    assert.throws(() => first!.user.roles.push('root'), TypeError);
    assert.deepEqual(await near.get(key), { user: { name: 'ada', roles: ['admin'] } });
    assert.equal(near.stats().nearHits, 1);

    const bytesKey = fresh();
    await near.set(bytesKey, Buffer.from('abc'));
    const bytes = await near.get<Buffer>(bytesKey);
    bytes![0] = 0x7a;
    const again = await near.get<Buffer>(bytesKey);
    assert.equal(again!.toString(), 'abc');
    again![1] = 0x7a;
    assert.equal((await near.get<Buffer>(bytesKey))!.toString(), 'abc');
  });

  it('is bounded in bytes: 1 MB values never hold more than maxBytes, and a value over a quarter of it is not held', async () => {
    const maxBytes = 8 * 1024 * 1024;
    const near = open({ near: { ttl: '10m', maxBytes } });
    const writer = open({ compressThreshold: 0 });
    const keys = Array.from({ length: 20 }, () => fresh());
    for (const [i, key] of keys.entries()) await writer.set(key, Buffer.alloc(1_000_000, i));
    for (const key of keys) {
      assert.equal((await near.get<Buffer>(key))!.length, 1_000_000);
      const { bytes, items } = near.stats().near!;
      assert.ok(bytes <= maxBytes, `${bytes} bytes held, bound ${maxBytes}`);
      assert.ok(items * 1_000_000 <= maxBytes);
    }
    assert.ok(near.stats().near!.items >= 3, 'the newest values are held');
    const small = open({ near: { ttl: '10m', maxBytes: 3 * 1024 * 1024 } });
    assert.equal((await small.get<Buffer>(keys[0]!))!.length, 1_000_000);
    assert.equal(small.stats().near!.items, 0, '1 MB is over a quarter of 3 MiB');
    const few = open({ near: { ttl: '10m', maxItems: 2 } });
    for (const key of keys.slice(0, 5)) await few.get(key);
    assert.equal(few.stats().near!.items, 2);
  });

  it('an entry lives no longer than its value’s own fresh time (grace values go stale on time)', async () => {
    const near = open({ near: { ttl: '10m' } });
    const key = fresh();
    let runs = 0;
    const factory = () => `v${++runs}`;
    for (let i = 0; i < 3; i++) assert.equal(await near.getOrSet(key, factory, { ttl: 1, grace: 60 }), 'v1');
    assert.equal(near.stats().nearHits, 1, 'the store dropped the entry, the next read filled it, the third was near');
    await waitUntil(async () => (await near.getOrSet(key, factory, { ttl: 1, grace: 60 })) === 'v2');
    assert.ok(near.stats().stale >= 1, 'past its ttl the value was served stale from memcached, not fresh from memory');
  });

  it('is not used over the memory backend', async () => {
    const cache = new Cache({ backend: new MemoryBackend(), near: true });
    await cache.set('k', 1);
    await cache.get('k');
    assert.equal(cache.stats().near, undefined);
    assert.equal(cache.stats().nearHits, 0);
  });

  it('bad options are E_INVALID_OPTION naming the option; a bad read option value E_INVALID_ARGUMENT, an unknown one E_INVALID_OPTION', async () => {
    for (const [near, name] of [
      [{ ttl: -1 }, 'near.ttl'],
      [{ ttl: '2 weeks' }, 'near.ttl'],
      [{ maxItems: 0 }, 'near.maxItems'],
      [{ maxBytes: 1.5 }, 'near.maxBytes'],
      [{ checkInterval: 'soon' }, 'near.checkInterval'],
      [{ size: 3 }, 'near.size'],
      ['yes', 'near'],
    ] as const) {
      assert.throws(() => new Cache({ near: near as never }), (error: Error & { code?: string }) => error.code === 'E_INVALID_OPTION' && error.message.includes(`"${name}"`));
    }
    const cache = open({ near: true });
    await assert.rejects(cache.get('k', { fresh: 'yes' } as never), { code: 'E_INVALID_ARGUMENT' });
    await assert.rejects(cache.get('k', { stale: true } as never), { code: 'E_INVALID_OPTION', message: /"stale"/ });
  });
});

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail('condition not met in 4 s');
}
