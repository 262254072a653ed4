import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPython } from '@larder/testing';
import { memcachedCaches } from './memcached-caches.js';
import { Cache, Flags, MemcachedBackend, type CacheErrorEvent } from '../src/index.js';
import { STAMP_ENVELOPE_VERSION } from '../src/envelopes/stamp-envelope.js';

const quiet = { warn() {} };

describe('namespaces: clear() by version counter', () => {
  const { open, fresh, server, track } = memcachedCaches('ns');

  it('keys live under name:, clear() makes every value a miss in this process and in another at once (no near cache)', async () => {
    const a = open();
    const b = open();
    const name = fresh();
    const products = a.namespace(name);
    await products.set('7', { price: 10 });
    await products.set('8', 'eight');
    assert.deepEqual(await products.get('7'), { price: 10 });
    assert.deepEqual(await b.namespace(name).get('8'), 'eight');
    assert.equal(products.key('7'), `${name}:7`);
    assert.deepEqual(await a.get(`${name}:7`), { price: 10 }, 'a plain get of its key checks its version too');
    assert.deepEqual(await b.getMany([`${name}:7`, `${name}:8`]), { [`${name}:7`]: { price: 10 }, [`${name}:8`]: 'eight' }, 'getMany checks versions as get does');
    assert.equal(await products.clear(), true);
    assert.equal(await products.get('7'), undefined);
    assert.equal(await a.get(`${name}:7`), undefined);
    assert.deepEqual(await b.getMany([`${name}:7`, `${name}:8`]), {});
    assert.equal(await b.namespace(name).get('8'), undefined);
    await products.set('7', { price: 11 });
    assert.deepEqual(await b.namespace(name).get('7'), { price: 11 }, 'written after the clear: current');
    assert.equal(await a.namespace(`${name}-other`).get('7'), undefined, 'another namespace is another key space');
  });

  it('getOrSet: a value computed while the namespace was cleared does not outlive the clear', async () => {
    const cache = open();
    const products = cache.namespace(fresh());
    let runs = 0;
    const value = await products.getOrSet('list', async () => {
      runs++;
      await products.clear(); // the data changed while this was computed
      return 'computed from old data';
    });
    assert.equal(value, 'computed from old data');
    assert.equal(await products.getOrSet('list', () => `run ${++runs}`), 'run 2', 'the value stored under the old version is a miss');
    assert.equal(await products.getOrSet('list', () => `run ${++runs}`), 'run 2');
  });

  it('a lost version counter (evicted, deleted) makes every stamped value a miss, and the next write starts it afresh', async () => {
    const cache = open();
    const raw = new MemcachedBackend({ servers: server().address });
    const name = fresh();
    const ns = cache.namespace(name);
    await ns.set('k', 'v');
    assert.equal(await ns.get('k'), 'v');
    assert.equal(await raw.delete(`larder-ns:${name}`), true);
    assert.equal(await ns.get('k'), undefined);
    await ns.set('k', 'w');
    assert.equal(await ns.get('k'), 'w');
    await raw.set(`larder-ns:${name}`, { value: Buffer.from('not a number'), flags: 0 }, 0);
    assert.equal(await ns.get('k'), undefined, 'someone else’s value at the counter key matches no stamp');
    assert.equal(await ns.clear(), true, 'clear replaces what is not a counter');
    await ns.set('k', 'x');
    assert.equal(await ns.get('k'), 'x');
    await raw.close();
  });

  it('stamped values are a documented envelope: flags 2048, Python clients read bytes; a forged one is a miss plus an event', async () => {
    const cache = open({ keyPrefix: 'p/' });
    const raw = new MemcachedBackend({ servers: server().address });
    const name = fresh();
    await cache.namespace(name).set('k', 'hello');
    const item = await raw.get(`p/${name}:k`);
    assert.equal(item!.flags, Flags.STAMPED);
    assert.equal(item!.value[0], STAMP_ENVELOPE_VERSION);
    assert.equal(item!.value[1], 1);
    const counterKey = `p/larder-ns:${name}`;
    assert.equal(item!.value.subarray(3, 3 + counterKey.length).toString(), counterKey);
    const python = runPython<{ type: string; hello: boolean }>(
      `
import json, sys, pylibmc
req = json.load(sys.stdin)
v = pylibmc.Client([req['server']], binary=True).get(req['key'])
print(json.dumps({'type': type(v).__name__, 'hello': v.endswith(b'hello')}))
`,
      { server: server().address, key: `p/${name}:k` },
    );
    assert.deepEqual(python, { type: 'bytes', hello: true });
    const errors: CacheErrorEvent[] = [];
    cache.on('error', (event) => errors.push(event));
    for (const forged of [Buffer.from([2, 1]), Buffer.from([1, 40]), Buffer.from([1, 1, 200, 0x61]), Buffer.from([1, 1, 1, 0x61, 1, 0x78, 0, 0, 0, 16])]) {
      await raw.set(`p/${name}:k`, { value: forged, flags: Flags.STAMPED }, 60);
      assert.equal(await cache.namespace(name).get('k'), undefined);
    }
    assert.equal(errors.length, 4);
    assert.ok(errors.every((event) => (event.error as Error & { code?: string }).code === 'E_DESERIALIZE'));
    await raw.close();
  });

  it('with memcached down: reads are misses, writes and clear() report failure, getOrSet computes without storing', async () => {
    const down = new Cache({ backend: new MemcachedBackend({ servers: '127.0.0.1:1', timeout: 200 }), logger: quiet });
    track(down);
    const ns = down.namespace('x');
    assert.equal(await ns.get('k'), undefined);
    assert.equal((await ns.read('k')).status, 'failed');
    assert.equal(await ns.set('k', 'v'), false);
    assert.equal(await ns.clear(), false);
    assert.equal(await ns.getOrSet('k', () => 'computed'), 'computed');
    assert.ok(down.stats().errors >= 4);
    const strict = new Cache({ backend: new MemcachedBackend({ servers: '127.0.0.1:1', timeout: 200 }), logger: quiet, ignoreErrors: false });
    track(strict);
    await assert.rejects(strict.namespace('x').clear(), { code: 'E_CONNECTION' });
  });

  it('near cache: a namespace’s entries are served near while its version is trusted, and its clear() drops them here at once', async () => {
    const near = open({ near: { ttl: '10m', checkInterval: '10m' } });
    const name = fresh();
    const ns = near.namespace(name);
    await ns.set('a', 'A');
    assert.equal(await ns.get('a'), 'A');
    assert.equal(await ns.get('a'), 'A');
    assert.equal(near.stats().nearHits, 1);
    await ns.clear();
    assert.equal(await ns.get('a'), undefined);
    assert.equal(near.stats().near?.items, 0, 'the entry under the old version is gone');
  });

  it('bad names are E_INVALID_ARGUMENT', () => {
    const cache = new Cache();
    assert.throws(() => cache.namespace(''), { code: 'E_INVALID_ARGUMENT' });
    assert.throws(() => cache.namespace(7 as never), { code: 'E_INVALID_ARGUMENT' });
  });
});
