import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache, DecodeMemo, Flags, MemcachedBackend, type CacheErrorEvent } from '../src/index.js';
import { ownedItem } from '../src/values/owned-item.js';
import { HeldReads } from './held-reads.js';
import { memcachedCaches } from './memcached-caches.js';

const quiet = { warn() {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('near cache: races, forged stamps and bounds (attacker review)', () => {
  const { open, fresh, server, track } = memcachedCaches('race');
  const heldCache = (ttl: string) => {
    const backend = new HeldReads(new MemcachedBackend({ servers: server().address }));
    return { backend, cache: track(new Cache({ backend, near: { ttl: ttl as `${number}ms` }, logger: quiet })) };
  };

  it('two decoded reads straddling another process’s write leave the memo in step with what is stored', async () => {
    const { backend, cache } = heldCache('150ms');
    const other = open();
    const key = fresh();
    const memo = new DecodeMemo((value) => `page(${String(value)})`);
    await other.set(key, 'X');
    backend.holdNext();
    const first = cache.flights(memo).read(key);
    await backend.held;
    await other.set(key, 'Y');
    const second = await cache.flights(memo).read(key);
    backend.release();
    assert.equal((await first)?.value, 'page(X)', 'the slow read answers with what it found');
    assert.equal(second?.value, 'page(Y)');
    const now = await cache.get(key);
    assert.equal(now, 'Y', 'the newer read is what is held near');
    assert.notEqual(cache.flights(memo).peek(key), 'page(X)', 'the memo never decodes the held Y as the slow read’s X');
    assert.equal((await cache.flights(memo).read(key))?.value, 'page(Y)');
    assert.equal(cache.flights(memo).peek(key), 'page(Y)');
    await sleep(200);
    assert.equal((await cache.flights(memo).read(key))?.value, 'page(Y)');
  });

  it('a slow read answering after a newer one does not put the older value back', async () => {
    const { backend, cache } = heldCache('10m');
    const other = open();
    const key = fresh();
    await other.set(key, 'old');
    backend.holdNext();
    const slow = cache.get(key);
    await backend.held;
    await other.set(key, 'new');
    assert.equal(await cache.get(key), 'new', 'a read sent after the write');
    backend.release();
    assert.equal(await slow, 'old');
    assert.equal(await cache.get(key), 'new', 'still the newer value');
  });

  it('an entry lives from when its read was sent, however long the read took', async () => {
    const { backend, cache } = heldCache('200ms');
    const other = open();
    const key = fresh();
    await other.set(key, 'old');
    backend.holdNext();
    const slow = cache.get(key);
    await backend.held;
    await sleep(250); // longer than the near ttl
    await other.set(key, 'new');
    backend.release();
    assert.equal(await slow, 'old');
    assert.equal(await cache.get(key), 'new', 'the slow read’s value was already past the ttl: not held');
  });

  it('a { fresh: true } getOrSet never joins a plain caller’s run (which may answer from the near cache)', async () => {
    const cache = open({ near: { ttl: '10m' } });
    const other = open();
    const key = fresh();
    await other.set(key, 'v1');
    assert.equal(await cache.get(key), 'v1');
    await other.set(key, 'v2');
    const never = () => 'computed';
    const [plain, exact] = await Promise.all([cache.getOrSet(key, never), cache.getOrSet(key, never, { fresh: true })]);
    assert.equal(plain, 'v1');
    assert.equal(exact, 'v2');
  });

  it('a namespace getOrSet called after a clear() never joins a run from before it', async () => {
    const cache = open();
    const ns = cache.namespace(fresh());
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const before = ns.getOrSet('k', async () => {
      await held;
      return 'computed before the clear';
    });
    await sleep(20); // the first run is under way, its factory held
    await ns.clear();
    const after = ns.getOrSet('k', () => 'computed after the clear');
    release();
    assert.equal(await before, 'computed before the clear');
    assert.equal(await after, 'computed after the clear');
  });

  it('a namespace read serves only values stamped with its own counter: not one written past it, near or not', async () => {
    const name = fresh();
    for (const options of [{}, { near: { ttl: '10m' as const } }]) {
      const cache = open(options);
      const ns = cache.namespace(name);
      await cache.set(ns.key('k'), 'written past the namespace');
      assert.equal(await cache.get(ns.key('k')), 'written past the namespace');
      assert.equal(await ns.get('k'), undefined);
      await ns.set('k', 'stamped');
      assert.equal(await ns.get('k'), 'stamped');
    }
  });

  it('a forged stamp naming a key memcached refuses, or any key but a counter, is a miss plus an event at once', async () => {
    const cache = open({ ignoreErrors: false });
    const raw = new MemcachedBackend({ servers: server().address });
    const key = fresh();
    const errors: CacheErrorEvent[] = [];
    cache.on('error', (event) => errors.push(event));
    const forged = (stampKey: Buffer) => Buffer.concat([Buffer.from([1, 1, stampKey.length]), stampKey, Buffer.from([1, 0x35]), Buffer.from([0, 0, 0, Flags.TEXT]), Buffer.from('hi')]);
    for (const stampKey of [Buffer.from([0xe9, 0xe9]), Buffer.from('session:abc'), Buffer.from('larder-ns:x y')]) {
      await raw.set(key, { value: forged(stampKey), flags: Flags.STAMPED }, 60);
      assert.equal(await cache.get(key), undefined);
    }
    assert.deepEqual(errors.map((event) => (event.error as Error & { code?: string }).code), ['E_DESERIALIZE', 'E_DESERIALIZE', 'E_DESERIALIZE']);
    await raw.close();
  });

  it('a value too large to keep near is handed out as it is, not frozen', async () => {
    const cache = open({ near: { ttl: '10m', maxBytes: 4096 } });
    const key = fresh();
    await cache.set(key, { text: 'x'.repeat(2000) });
    const value = await cache.get<{ text: string }>(key);
    assert.equal(Object.isFrozen(value), false);
    assert.equal(cache.stats().near?.items, 0);
  });

  it('items kept for long do not keep alive the larger buffer they were sliced from', () => {
    const socketRead = Buffer.alloc(65_536, 1);
    const item = { value: socketRead.subarray(100, 107), flags: 0 };
    const owned = ownedItem(item);
    assert.ok(owned.value.equals(item.value));
    assert.ok(owned.value.buffer.byteLength < 65_536, `kept ${owned.value.buffer.byteLength} bytes underneath`);
    const whole = { value: Buffer.alloc(50_000), flags: 0 };
    assert.equal(ownedItem(whole), whole, 'a buffer of its own is kept as it is');
  });
});
