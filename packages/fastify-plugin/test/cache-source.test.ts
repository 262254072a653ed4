import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Cache, MemoryBackend, openCacheSource, type CacheSource } from '@larder/core';
import { importSecondCopy, MemcachedServer, type SecondCopy } from '@larder/testing';
import Fastify from 'fastify';
import larder from '../src/index.js';
import { quiet } from './build-app.js';

const coreDir = fileURLToPath(new URL('../../core', import.meta.url));

/** Registers the plugin with `options` on a fresh app (with a quiet logger). */
async function appWith(options: Record<string, unknown>) {
  const app = Fastify();
  await app.register(larder, { logger: quiet, ...options } as never);
  return app;
}

describe('the plugin takes every form of cache source (openCacheSource)', () => {
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

  it('{ cache }: used as is, never closed', async () => {
    const cache = new Cache({ logger: quiet });
    const app = Fastify();
    await app.register(larder, { cache });
    assert.equal(app.cache, cache);
    await app.close();
    assert.equal(await cache.set('still', 'open'), true);
    await cache.close();
  });

  it('a Cache from a second copy of @larder/core is accepted, served and never closed', async () => {
    const foreign = new copy.module.Cache({ logger: quiet });
    assert.equal(foreign instanceof Cache, false);
    const app = Fastify();
    await app.register(larder, { cache: foreign as unknown as Cache });
    app.get('/', { config: { cache: true } }, async () => ({ at: Date.now() }));
    const first = await app.inject('/');
    const second = await app.inject('/');
    assert.equal(app.cache, foreign);
    assert.equal(second.headers['x-cache'], 'HIT');
    assert.equal(second.body, first.body);
    await app.close();
    assert.equal(await foreign.set('still', 'open'), true);
    await foreign.close();
  });

  it('{ backend }: built and closed on app.close()', async () => {
    const backend = new MemoryBackend();
    const app = await appWith({ backend, keyPrefix: 'b:' });
    assert.equal(app.cache.backend, backend);
    assert.equal(app.cache.keyPrefix, 'b:');
    await app.close();
    await assert.rejects(backend.get('k'), { code: 'E_CLOSED' });
  });

  it('{ servers, username?, password?, ...memcached options }: a memcached cache, closed on app.close()', async () => {
    const app = await appWith({ servers: server.address, timeout: '1s', failureLimit: 3 });
    assert.equal(app.cache.backend.name, `memcached(${server.address})`);
    assert.equal(await app.cache.set('k', 'v'), true);
    assert.equal(await app.cache.get('k'), 'v');
    const cache = app.cache;
    await app.close();
    await assert.rejects(cache.get('k'), { code: 'E_CLOSED' });
  });

  it('{ fromEnv, env }: reads the given environment, closed on app.close()', async () => {
    const app = await appWith({ fromEnv: 'shop', env: { SHOP_MEMCACHED_SERVERS: server.address } });
    assert.equal(app.cache.backend.name, `memcached(${server.address})`);
    const cache = app.cache;
    await app.close();
    await assert.rejects(cache.get('k'), { code: 'E_CLOSED' });
  });

  const bad: Array<[string, Record<string, unknown>]> = [
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
    ['env without fromEnv', { env: {} }],
    ['a memcached option beside backend', { backend: new MemoryBackend(), timeout: 5 }],
  ];
  for (const [what, options] of bad) {
    it(`fails register on ${what} with the very error openCacheSource gives`, async () => {
      let expected: unknown;
      try {
        // The plugin's one difference: no source at all is a memory cache (memoryWhenEmpty).
        openCacheSource(options as unknown as CacheSource, { logger: quiet, memoryWhenEmpty: true });
      } catch (error) {
        expected = error;
      }
      assert.ok(expected instanceof Error);
      const app = Fastify();
      await assert.rejects(async () => {
        await app.register(larder, options as never);
      }, (error: Error & { code?: string }) => {
        assert.equal(error.name, 'InvalidOptionError');
        assert.equal(error.code, 'E_INVALID_OPTION');
        assert.equal(error.message, expected.message);
        return true;
      });
      await app.close().catch(() => {});
    });
  }
});
