import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPython } from '@larder/testing';
import { memcachedCaches } from './memcached-caches.js';
import { Cache, MemoryBackend, type Backend } from '../src/index.js';
import { RESERVED_KEY_PREFIXES } from '../src/reserved-keys.js';
import { lockKey } from '../src/recompute/stampede-lock.js';

const quiet = { warn() {} };

/** The raw counter bytes a Cache keeps at `backendKey` (undefined when absent). */
async function raw(backend: Backend, backendKey: string): Promise<string | undefined> {
  return (await backend.get(backendKey))?.value.toString('latin1');
}

/** Every public write path of a Cache and its namespaces, aimed at `key` (a reserved one in these tests). */
async function writeEverywhere(cache: Cache, key: string, value: number): Promise<void> {
  await cache.set(key, value);
  await cache.write(key, value);
  await cache.setMany({ [key]: value });
  await cache.add(key, value);
  await cache.replace(key, value);
  await cache.incr(key, 5);
  await cache.decr(key, 100);
  await cache.touch(key, 60);
  await cache.extend(key, 60);
  const held = await cache.gets(key);
  if (held !== undefined) await cache.cas(key, value, held.cas);
  await cache.getOrSet(key, () => value, { force: true });
  await cache.delete(key);
  await cache.remove(key);
  await cache.deleteMany([key]);
  await cache.set(key, value);
  const [stem, ...rest] = key.split(':');
  const namespace = cache.namespace(stem!);
  await namespace.set(rest.join(':'), value);
  await namespace.getOrSet(rest.join(':'), () => value, { force: true });
}

function suite(name: string, open: (options?: { keyPrefix?: string }) => Cache): void {
  describe(`reserved keys on ${name}`, () => {
    it("set('larder-tag:t', v) after invalidateTags(['t']), v the version the value was stamped with, does not bring it back", async () => {
      const cache = open();
      await cache.set('page', 'old', { tags: ['t'] });
      assert.equal(await cache.get('page'), 'old');
      // The version the value was stamped with (counters start at a random value): what an attacker would write back.
      const stamped = Number(await raw(cache.backend, `${cache.keyPrefix}larder-tag:t`));
      assert.ok(stamped > 0);
      await cache.invalidateTags(['t']);
      assert.equal(await cache.get('page'), undefined);
      for (const forged of [stamped, String(stamped), 0, -1, stamped + 1]) await cache.set('larder-tag:t', forged);
      assert.equal(await cache.get('page'), undefined, 'still invalidated');
      await cache.set('larder-tag:t', stamped);
      await cache.setMany({ 'larder-tag:t': stamped });
      await cache.decr('larder-tag:t', 1);
      await cache.incr('larder-tag:t', 1);
      assert.equal(await cache.get('larder-tag:t'), stamped, 'the user key is an ordinary key of its own');
      await cache.namespace('larder-tag').set('t', stamped);
      await cache.namespace('larder-tag').delete('t');
      assert.equal(await cache.get('page'), undefined, 'still invalidated');
    });

    it('no public entry point with a reserved key reaches a tag or namespace counter', async () => {
      const cache = open({ keyPrefix: 'app/' });
      const products = cache.namespace('products');
      await products.set('7', 'seven');
      await cache.set('tagged', 'v', { tags: ['t'] });
      await cache.invalidateTags(['t']);
      const counters = [`${cache.keyPrefix}larder-ns:products`, `${cache.keyPrefix}larder-tag:t`];
      const before = await Promise.all(counters.map((key) => raw(cache.backend, key)));
      assert.ok(before.every((value) => value !== undefined), 'both counters exist');
      await writeEverywhere(cache, 'larder-ns:products', 0);
      await writeEverywhere(cache, 'larder-tag:t', 0);
      assert.deepEqual(await Promise.all(counters.map((key) => raw(cache.backend, key))), before);
      assert.equal(await products.get('7'), 'seven');
      assert.equal(await cache.get('tagged'), undefined);
      const memoized = cache.memoize(async (x: number) => x * 2, { name: 'larder-tag:t' });
      assert.equal(await memoized(2), 4);
      assert.deepEqual(await Promise.all(counters.map((key) => raw(cache.backend, key))), before);
    });

    it('a reserved user key is an ordinary entry, stored apart, readable back through every read', async () => {
      const cache = open();
      for (const key of ['larder-ns:x', 'larder-tag:x', 'larder-tag-soft:larder-tag:x', 'larder-lock:x', 'larder-chunk:x', 'larder-key:larder-tag:x']) {
        assert.equal(await cache.set(key, key), true, key);
        assert.equal(await cache.get(key), key);
        assert.deepEqual(await cache.getMany([key, 'absent']), { [key]: key });
        assert.equal(await cache.delete(key), true);
        assert.equal(await cache.get(key), undefined);
      }
    });
  });
}

describe('reserved key prefixes', () => {
  it('are larder-ns:, larder-tag:, larder-tag-soft:, larder-lock:, larder-chunk: and the escape larder-key:', () => {
    assert.deepEqual([...RESERVED_KEY_PREFIXES], ['larder-ns:', 'larder-tag:', 'larder-tag-soft:', 'larder-lock:', 'larder-chunk:', 'larder-key:']);
  });

  it("Larder's own keys (locks) start with one", () => {
    assert.ok(lockKey('app/page').startsWith('larder-lock:'));
  });

  it('a user key that starts with one is stored under larder-key: + the key; every other key as it is (after the prefix)', () => {
    const cache = new Cache({ logger: quiet, keyPrefix: 'app/' });
    assert.equal(cache.backendKey('larder-tag:t'), 'app/larder-key:larder-tag:t');
    assert.equal(cache.backendKey('larder-ns:products'), 'app/larder-key:larder-ns:products');
    assert.equal(cache.backendKey('larder-key:x'), 'app/larder-key:larder-key:x');
    assert.equal(cache.backendKey('larder-view'), 'app/larder-view', 'only the reserved prefixes move');
    assert.equal(cache.backendKey('user/7'), 'app/user/7');
    assert.equal(cache.backendKey('Larder-tag:t'), 'app/Larder-tag:t');
  });

  it('the mapping is injective: keys that differ stay different backend keys, and none is a counter key', () => {
    const cache = new Cache({ logger: quiet });
    const keys = ['t', 'larder-tag:t', 'larder-key:larder-tag:t', 'larder-key:larder-key:larder-tag:t', 'larder-key:t', 'larder-ns:t', 'larder-key:larder-ns:t'];
    const mapped = keys.map((key) => cache.backendKey(key));
    assert.equal(new Set(mapped).size, keys.length, mapped.join('\n'));
    for (const key of mapped) assert.ok(!key.startsWith('larder-tag:') && !key.startsWith('larder-ns:'), key);
  });
});

suite('the memory backend', (options = {}) => new Cache({ backend: new MemoryBackend(), logger: quiet, ...options }));

describe('on real memcached', () => {
  const caches = memcachedCaches('reserved');
  let n = 0;
  // Each test gets a prefix of its own, so their counters do not meet on the one server.
  suite('memcached', (options = {}) => caches.open({ keyPrefix: `r${++n}/${options.keyPrefix ?? ''}` }));

  it('pylibmc finds an ordinary key where it was, and a reserved one at larder-key: + the key', async () => {
    const cache = caches.open();
    await cache.set('py/plain', 'plain');
    await cache.set('larder-tag:py', 'escaped');
    const found = runPython<Record<string, string | null>>(
      `
import json, sys, pylibmc
req = json.load(sys.stdin)
client = pylibmc.Client([req['server']], binary=True)
print(json.dumps({key: client.get(key) for key in ['py/plain', 'larder-key:larder-tag:py', 'larder-tag:py']}))
`,
      { server: caches.server().address },
    );
    assert.deepEqual(found, { 'py/plain': 'plain', 'larder-key:larder-tag:py': 'escaped', 'larder-tag:py': null });
  });
});
