import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { Cache, MemcachedBackend, MemoryBackend, NullBackend, type Backend } from '../src/index.js';

const quiet = { warn: () => {} };

function cacheSuite(name: string, makeBackend: () => Promise<{ backend: Backend; dispose(): Promise<void> }>): void {
  describe(`Cache on ${name}`, () => {
    let cache: Cache;
    let dispose: () => Promise<void>;

    before(async () => {
      const made = await makeBackend();
      dispose = made.dispose;
      cache = new Cache({ backend: made.backend, keyPrefix: 'app:', logger: quiet });
    });
    after(async () => {
      await cache.close();
      await dispose();
    });

    it('round-trips every value type with its type', async () => {
      const values: Record<string, unknown> = {
        text: 'héllo wörld ✓',
        emptyText: '',
        int: 42,
        negative: -7,
        zero: 0,
        float: 3.25,
        bigSafe: Number.MAX_SAFE_INTEGER,
        yes: true,
        no: false,
        nothing: null,
        object: { a: 1, nested: { list: [1, 'two', null] } },
        array: [1, 2, 3],
        buffer: Buffer.from([0, 1, 2, 255]),
        bytes: new Uint8Array([9, 8, 7]),
      };
      for (const [key, value] of Object.entries(values)) assert.equal(await cache.set(key, value), true, key);
      for (const [key, value] of Object.entries(values)) {
        const got = await cache.get(key);
        assert.deepEqual(got, value, key);
        if (value instanceof Uint8Array) assert.equal(Buffer.isBuffer(got), Buffer.isBuffer(value), `${key} keeps its class`);
      }
    });

    it('refuses undefined, functions, BigInt and NaN with a typed error', async () => {
      await assert.rejects(cache.set('u', undefined), { code: 'E_SERIALIZE', message: /undefined/ });
      await assert.rejects(cache.set('f', () => 1), { code: 'E_SERIALIZE' });
      await assert.rejects(cache.set('b', 10n), { code: 'E_SERIALIZE' });
      await assert.rejects(cache.set('n', Number.NaN), { code: 'E_SERIALIZE' });
      assert.equal(await cache.get('u'), undefined);
    });

    it('any string key round-trips and distinct keys never collide', async () => {
      const long = 'x'.repeat(10_000);
      const keys = ['with space', 'line\nbreak', 'tab\there', 'ünïcødé', '日本語', '', long, long + 'y', 'ctrl\u0001', 'a'.repeat(250)];
      await Promise.all(keys.map((key, i) => cache.set(key, i)));
      for (const [i, key] of keys.entries()) assert.equal(await cache.get(key), i, JSON.stringify(key.slice(0, 20)));
    });

    it('a safe key is stored under prefix + key, as Python clients would look it up', async () => {
      await cache.set('user:7', 'seven');
      assert.equal(cache.backendKey('user:7'), 'app:user:7');
      const raw = await cache.backend.get('app:user:7');
      assert.equal(raw?.value.toString(), 'seven');
      assert.equal(raw?.flags, 16);
    });

    it('add, replace, delete, has', async () => {
      assert.equal(await cache.add('ar', 1), true);
      assert.equal(await cache.add('ar', 2), false);
      assert.equal(await cache.replace('ar', 3), true);
      assert.equal(await cache.replace('absent-ar', 3), false);
      assert.equal(await cache.has('ar'), true);
      assert.equal(await cache.delete('ar'), true);
      assert.equal(await cache.has('ar'), false);
    });

    it('incr/decr on numbers set through the cache; negative delta decrements; absent is undefined', async () => {
      await cache.set('hits', 5);
      assert.equal(await cache.incr('hits'), 6);
      assert.equal(await cache.incr('hits', 10), 16);
      assert.equal(await cache.incr('hits', -6), 10);
      assert.equal(await cache.decr('hits', 3), 7);
      assert.equal(await cache.decr('hits', 100), 0);
      assert.equal(await cache.get('hits'), 0);
      assert.equal(await cache.incr('no-such-counter'), undefined);
      await cache.set('word', 'abc');
      await assert.rejects(cache.incr('word'), { code: 'E_NOT_NUMERIC' });
    });

    it('getMany, setMany, deleteMany speak in the caller keys', async () => {
      const failed = await cache.setMany({ 'm 1': 'one', 'm:2': 2, 'm:3': { three: 3 } });
      assert.deepEqual(failed, []);
      assert.deepEqual(await cache.getMany(['m 1', 'm:2', 'm:3', 'm:absent']), { 'm 1': 'one', 'm:2': 2, 'm:3': { three: 3 } });
      assert.deepEqual(await cache.deleteMany(['m 1', 'm:absent']), ['m 1']);
      assert.deepEqual(await cache.getMany(['m 1']), {});
    });

    it('gets/cas as in pymemcache', async () => {
      await cache.set('doc', { v: 1 });
      const read = await cache.gets<{ v: number }>('doc');
      assert.deepEqual(read?.value, { v: 1 });
      assert.equal(await cache.cas('doc', { v: 2 }, read!.cas), true);
      assert.equal(await cache.cas('doc', { v: 3 }, read!.cas), false);
      assert.deepEqual(await cache.get('doc'), { v: 2 });
      assert.equal(await cache.cas('never-set', 1, read!.cas), undefined);
    });

    it('getOrSet runs the factory once for many concurrent callers', async () => {
      let runs = 0;
      const factory = async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 30));
        return { built: runs };
      };
      const results = await Promise.all(Array.from({ length: 50 }, () => cache.getOrSet('expensive', factory)));
      assert.equal(runs, 1);
      for (const result of results) assert.deepEqual(result, { built: 1 });
      assert.deepEqual(await cache.getOrSet('expensive', factory), { built: 1 });
      assert.equal(runs, 1, 'later callers hit the cache');
    });

    it('getOrSet does not cache a throwing factory and every waiter sees its error', async () => {
      let runs = 0;
      const failing = async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 10));
        throw new Error('boom');
      };
      const settled = await Promise.allSettled(Array.from({ length: 10 }, () => cache.getOrSet('fragile', failing)));
      assert.equal(runs, 1);
      for (const outcome of settled) assert.equal(outcome.status === 'rejected' && (outcome.reason as Error).message, 'boom');
      assert.equal(await cache.get('fragile'), undefined);
      assert.equal(await cache.getOrSet('fragile', () => 'recovered'), 'recovered');
    });

    it('counts hits, misses and sets, and emits hit/miss events', async () => {
      const fresh = new Cache({ backend: cache.backend, keyPrefix: 'stats:', logger: quiet });
      const seen: string[] = [];
      fresh.on('hit', ({ key }) => seen.push(`hit ${key}`));
      fresh.on('miss', ({ key }) => seen.push(`miss ${key}`));
      await fresh.set('a', 1);
      await fresh.get('a');
      await fresh.get('b');
      const stats = fresh.stats();
      assert.deepEqual({ hits: stats.hits, misses: stats.misses, sets: stats.sets, errors: stats.errors }, { hits: 1, misses: 1, sets: 1, errors: 0 });
      assert.deepEqual(seen, ['hit a', 'miss b']);
    });

    it('a value Larder cannot decode (a pickle) is a miss plus an error event', async () => {
      await cache.backend.set(cache.backendKey('pickled'), { value: Buffer.from([0x80, 0x04, 0x95]), flags: 1 }, 0);
      const errors: string[] = [];
      const off = cache.on('error', (event) => errors.push((event.error as { code?: string }).code ?? ''));
      assert.equal(await cache.get('pickled'), undefined);
      off();
      assert.deepEqual(errors, ['E_DESERIALIZE']);
    });
  });
}

cacheSuite('MemoryBackend', async () => ({ backend: new MemoryBackend(), dispose: async () => {} }));

cacheSuite('memcached', async () => {
  const server = await MemcachedServer.start();
  return { backend: new MemcachedBackend({ servers: server.address }), dispose: () => server.stop() };
});

describe('Cache options and TTLs', () => {
  it('reads duration strings and rejects garbage TTLs with a typed error', async () => {
    let now = 1_000_000;
    const cache = new Cache({ backend: new MemoryBackend({ now: () => now }), defaultTtl: '2m', logger: quiet });
    assert.equal(cache.defaultTtl, 120);
    await cache.set('default', 1);
    await cache.set('hour', 1, '1h');
    await cache.set('forever', 1, 0);
    now += 121_000;
    assert.equal(await cache.get('default'), undefined);
    assert.equal(await cache.get('hour'), 1);
    now += 3600_000;
    assert.equal(await cache.get('hour'), undefined);
    assert.equal(await cache.get('forever'), 1);
    await assert.rejects(cache.set('bad', 1, -5), { code: 'E_INVALID_ARGUMENT' });
    await assert.rejects(cache.set('bad', 1, '5 weeks' as never), { code: 'E_INVALID_ARGUMENT' });
  });

  it('bad options fail construction with a message that names the option', () => {
    assert.throws(() => new Cache({ defaultTtl: 'soon' as never }), { code: 'E_INVALID_OPTION', message: /defaultTtl/ });
    assert.throws(() => new Cache({ keyPrefix: 5 as never }), { code: 'E_INVALID_OPTION', message: /keyPrefix/ });
  });

  it('non-string keys are a typed error', async () => {
    const cache = new Cache({ logger: quiet });
    await assert.rejects(cache.get(7 as never), { code: 'E_INVALID_ARGUMENT' });
  });

  it('large values are compressed with flag bit 8 and read back', async () => {
    const cache = new Cache({ compressThreshold: 100, logger: quiet });
    const text = 'compress me '.repeat(1000);
    await cache.set('big', text);
    const raw = await cache.backend.get('big');
    assert.equal(raw!.flags, 16 | 8);
    assert.ok(raw!.value.length < text.length / 10);
    assert.equal(await cache.get('big'), text);
  });

  it('NullBackend caches nothing', async () => {
    const cache = new Cache({ backend: new NullBackend(), logger: quiet });
    assert.equal(await cache.set('a', 1), false);
    assert.equal(await cache.get('a'), undefined);
    let runs = 0;
    await cache.getOrSet('b', () => ++runs);
    await cache.getOrSet('b', () => ++runs);
    assert.equal(runs, 2);
  });
});
