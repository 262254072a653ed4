import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Cache, MemoryBackend, openCacheSource, type CacheSource } from '@larder/core';
import { importSecondCopy, MemcachedServer, type SecondCopy } from '@larder/testing';
import { MemcachedStore, type MemcachedStoreSource } from '../src/index.js';
import { randomSessionId } from './helpers.js';

const quiet = { warn: () => {} };
const coreDir = fileURLToPath(new URL('../../core', import.meta.url));
const session = { cookie: { maxAge: 60_000 } };

/** Stores and reads back one session through `store`. */
async function roundTrip(store: MemcachedStore): Promise<void> {
  const id = randomSessionId();
  await store.setSession(id, session);
  assert.notEqual(await store.getSession(id), null);
}

describe('the session store takes every form of cache source (openCacheSource)', () => {
  let server: MemcachedServer;
  let copy: SecondCopy<typeof import('@larder/core')>;
  before(async () => {
    server = await MemcachedServer.start();
    copy = await importSecondCopy(coreDir);
  });
  after(async () => {
    copy.dispose();
    await server.stop();
  });

  it('a bare Cache and { cache }: used as is, never closed', async () => {
    const cache = new Cache({ logger: quiet });
    for (const source of [cache, { cache }]) {
      const store = new MemcachedStore(source, { logger: quiet });
      assert.equal(store.cache, cache);
      await roundTrip(store);
      await store.close();
    }
    assert.equal(await cache.set('still', 'open'), true);
    await cache.close();
  });

  it('a Cache from a second copy of @larder/core is accepted and never closed', async () => {
    const foreign = new copy.module.Cache({ logger: quiet });
    assert.equal(foreign instanceof Cache, false);
    const store = new MemcachedStore({ cache: foreign as unknown as Cache }, { logger: quiet });
    assert.equal(store.cache, foreign);
    await roundTrip(store);
    await store.close();
    assert.equal(await foreign.set('still', 'open'), true);
    await foreign.close();
  });

  it('{ backend, ...cacheOptions }: built and closed on close()', async () => {
    const backend = new MemoryBackend();
    const store = new MemcachedStore({ backend, keyPrefix: 'app:' }, { logger: quiet });
    assert.equal(store.cache.backend, backend);
    assert.equal(store.cache.keyPrefix, 'app:');
    await roundTrip(store);
    await store.close();
    await assert.rejects(backend.get('k'), { code: 'E_CLOSED' });
  });

  it('{ servers, ...memcached options }: a memcached cache, closed on close()', async () => {
    const store = new MemcachedStore({ servers: [server.address], failureLimit: 3, connectTimeout: '1s' }, { logger: quiet });
    assert.equal(store.cache.backend.name, `memcached(${server.address})`);
    await roundTrip(store);
    await store.close();
    await assert.rejects(store.cache.get('k'), { code: 'E_CLOSED' });
  });

  it('{ fromEnv, env }: reads the given environment, closed on close()', async () => {
    const store = new MemcachedStore({ fromEnv: true, env: { MEMCACHED_SERVERS: server.address } }, { logger: quiet });
    assert.equal(store.cache.backend.name, `memcached(${server.address})`);
    await roundTrip(store);
    await store.close();
    await assert.rejects(store.cache.get('k'), { code: 'E_CLOSED' });
  });

  const bad: Array<[string, unknown]> = [
    ['null', null],
    ['an empty object', {}],
    ['two sources', { cache: new Cache({ logger: quiet }), servers: '127.0.0.1:1' }],
    ['a cache that is not a Cache', { cache: { get() {} } }],
    ['a Cache of another contract', { cache: { [Symbol.for('larder.cache')]: 1 } }],
    ['keyPrefix beside a given cache', { cache: new Cache({ logger: quiet }), keyPrefix: 'x' }],
    ['a backend that is not a Backend', { backend: 'memcached' }],
    ['an empty server list', { servers: '' }],
    ['a username without password', { servers: '127.0.0.1:1', username: 'u' }],
    ['a misspelt memcached option', { servers: '127.0.0.1:1', pasword: 'p' }],
    ['a bad fromEnv', { fromEnv: 7 }],
    ['an env that is not an object', { fromEnv: true, env: 'X=1' }],
    ['a memcached option beside fromEnv', { fromEnv: true, timeout: 5 }],
    ['a memcached option beside backend', { backend: new MemoryBackend(), timeout: 5 }],
  ];
  for (const [what, source] of bad) {
    it(`refuses ${what} with the very error openCacheSource gives`, () => {
      let expected: unknown;
      try {
        openCacheSource(source as CacheSource, { logger: quiet });
      } catch (error) {
        expected = error;
      }
      assert.ok(expected instanceof Error);
      assert.throws(() => new MemcachedStore(source as MemcachedStoreSource, { logger: quiet }), {
        name: 'InvalidOptionError',
        code: 'E_INVALID_OPTION',
        message: expected.message,
      });
    });
  }
});
