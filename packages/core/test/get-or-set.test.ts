import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache, MemoryBackend } from '../src/index.js';

const quiet = { warn() {} };

/** A promise with its resolver, so a factory can be held open until the test lets it finish. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('getOrSet: the one read-compute-write path', () => {
  it('two caches with one prefix over different backends do not share a flight', async () => {
    const one = new Cache({ backend: new MemoryBackend(), keyPrefix: 'app:', logger: quiet });
    const two = new Cache({ backend: new MemoryBackend(), keyPrefix: 'app:', logger: quiet });
    const held = gate();
    let runs = 0;
    const first = one.getOrSet('k', async () => {
      runs++;
      await held.promise;
      return 'from one';
    });
    const second = two.getOrSet('k', async () => {
      runs++;
      return 'from two';
    });
    assert.equal(await second, 'from two', 'the second cache ran its own factory while the first was still running');
    held.open();
    assert.equal(await first, 'from one');
    assert.equal(runs, 2);
    assert.equal(await one.get('k'), 'from one');
    assert.equal(await two.get('k'), 'from two');
  });

  it('a TTL option or an options object: ttl is honoured either way', async () => {
    const backend = new MemoryBackend();
    const seen: number[] = [];
    const set = backend.set.bind(backend);
    backend.set = (key, item, ttl) => (seen.push(ttl), set(key, item, ttl));
    const setSync = backend.setSync.bind(backend);
    backend.setSync = (key, item, ttl) => (seen.push(ttl), setSync(key, item, ttl));
    const cache = new Cache({ backend, logger: quiet });
    await cache.getOrSet('a', () => 1, 60);
    await cache.getOrSet('b', () => 1, { ttl: '2m' });
    await cache.getOrSet('c', () => 1, {});
    assert.deepEqual(seen, [60, 120, 300]);
  });

  it('force recomputes and overwrites what is cached; concurrent forced callers share one run', async () => {
    const cache = new Cache({ logger: quiet });
    await cache.set('k', 'old');
    let runs = 0;
    const factory = async () => `new ${++runs}`;
    assert.equal(await cache.getOrSet('k', factory), 'old', 'without force the cached value is served');
    const forced = await Promise.all([cache.getOrSet('k', factory, { force: true }), cache.getOrSet('k', factory, { force: true })]);
    assert.deepEqual(forced, ['new 1', 'new 1']);
    assert.equal(runs, 1);
    assert.equal(await cache.get('k'), 'new 1');
  });

  it('a forced call never receives a value read from the cache by a plain call in flight', async () => {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend, logger: quiet });
    await cache.set('k', 'old');
    const plain = cache.getOrSet('k', () => 'plain');
    const forced = cache.getOrSet('k', () => 'fresh', { force: true });
    assert.equal(await plain, 'old');
    assert.equal(await forced, 'fresh');
    assert.equal(await cache.get('k'), 'fresh');
  });

  it('shouldStore decides whether a computed value is stored; the value is returned either way', async () => {
    const cache = new Cache({ logger: quiet });
    const seen: unknown[] = [];
    const shouldStore = (value: number) => (seen.push(value), value > 0);
    assert.equal(await cache.getOrSet('neg', () => -1, { shouldStore }), -1);
    assert.equal(await cache.get('neg'), undefined, 'refused: not stored');
    assert.equal(await cache.getOrSet('pos', () => 1, { shouldStore }), 1);
    assert.equal(await cache.get('pos'), 1);
    assert.deepEqual(seen, [-1, 1]);
    await cache.getOrSet('pos', () => 2, { shouldStore });
    assert.deepEqual(seen, [-1, 1], 'a cached value is not offered to shouldStore');
  });

  it('bad options are E_INVALID_ARGUMENT naming the option', async () => {
    const cache = new Cache({ logger: quiet });
    await assert.rejects(cache.getOrSet('k', () => 1, { force: 'yes' as unknown as boolean }), { code: 'E_INVALID_ARGUMENT', message: /force/ });
    await assert.rejects(cache.getOrSet('k', () => 1, { shouldStore: 1 as unknown as () => boolean }), { code: 'E_INVALID_ARGUMENT', message: /shouldStore/ });
    await assert.rejects(cache.getOrSet('k', () => 1, { ttl: -1 }), { code: 'E_INVALID_ARGUMENT' });
    await assert.rejects(cache.getOrSet('k', () => 1, null as unknown as number), { code: 'E_INVALID_ARGUMENT' });
  });
});
