import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { importSecondCopy, MemcachedServer, type SecondCopy } from '@larder/testing';
import { Cache, isCache, MemoryBackend, NullBackend, openCacheSource, type CacheSource } from '../src/index.js';

const quiet = { warn: () => {} };
const coreDir = fileURLToPath(new URL('..', import.meta.url));

describe('openCacheSource', () => {
  let server: MemcachedServer;
  let copy: SecondCopy<typeof import('../src/index.js')>;
  before(async () => {
    server = await MemcachedServer.start();
    copy = await importSecondCopy(coreDir);
  });
  after(async () => {
    copy.dispose();
    await server.stop();
  });

  it('a Cache, bare or as { cache }, is used as is and not owned', () => {
    const cache = new Cache({ logger: quiet });
    assert.deepEqual(openCacheSource(cache), { cache, owned: false, kind: 'cache' });
    assert.deepEqual(openCacheSource({ cache }), { cache, owned: false, kind: 'cache' });
  });

  it('accepts a Cache from a second copy of @larder/core (brand, not instanceof)', async () => {
    const foreign = new copy.module.Cache({ logger: quiet });
    assert.equal(foreign instanceof Cache, false, 'the copy is a separate module instance');
    assert.equal(isCache(foreign), true);
    const opened = openCacheSource({ cache: foreign as unknown as Cache });
    assert.equal(opened.cache, foreign);
    assert.equal(opened.owned, false);
    assert.equal(copy.module.isCache(new Cache({ logger: quiet })), true, 'and the other way round');
    await foreign.close();
  });

  it('{ backend, ...cacheOptions } builds an owned Cache on that backend', async () => {
    const backend = new MemoryBackend();
    const { cache, owned, kind } = openCacheSource({ backend, keyPrefix: 'p:', defaultTtl: '1m' }, { logger: quiet });
    assert.equal(owned, true);
    assert.equal(kind, 'backend');
    assert.equal(cache.backend, backend);
    assert.equal(cache.keyPrefix, 'p:');
    assert.equal(cache.defaultTtl, 60);
    await cache.close();
  });

  it('{ servers, ...memcached and cache options } builds an owned Cache on memcached', async () => {
    const { cache, owned, kind } = openCacheSource({ servers: server.address, timeout: '1s', keyPrefix: 's:' }, { logger: quiet });
    assert.equal(owned, true);
    assert.equal(kind, 'servers');
    assert.equal(cache.backend.name, `memcached(${server.address})`);
    assert.equal(await cache.set('k', 'v'), true);
    assert.equal(await cache.get('k'), 'v');
    await cache.close();
  });

  it('{ fromEnv, env } builds from the given environment, else memory, and says so through the logger', async () => {
    const lines: string[] = [];
    const logger = { warn: (line: string) => void lines.push(line) };
    const memcached = openCacheSource({ fromEnv: 'app', env: { APP_MEMCACHED_SERVERS: server.address } }, { logger });
    assert.equal(memcached.owned, true);
    assert.equal(memcached.kind, 'fromEnv');
    assert.equal(memcached.cache.backend.name, `memcached(${server.address})`);
    const memory = openCacheSource({ fromEnv: true, env: {} }, { logger });
    assert.equal(memory.cache.backend.name, 'memory');
    assert.match(lines.join('\n'), /APP_MEMCACHED_SERVERS[\s\S]*in-memory backend/);
    await Promise.all([memcached.cache.close(), memory.cache.close()]);
  });

  it('defaults apply under the source’s own options; memoryWhenEmpty builds a memory Cache', async () => {
    const built = openCacheSource({ backend: new MemoryBackend(), keyPrefix: 'own:' }, { defaults: { keyPrefix: 'd:', defaultTtl: 7 } });
    assert.equal(built.cache.keyPrefix, 'own:');
    assert.equal(built.cache.defaultTtl, 7);
    const empty = openCacheSource({} as CacheSource, { memoryWhenEmpty: true, logger: quiet });
    assert.equal(empty.kind, 'memory');
    assert.equal(empty.owned, true);
    assert.equal(empty.cache.backend.name, 'memory');
    await Promise.all([built.cache.close(), empty.cache.close()]);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['null', null, /^Invalid option "source": must be a Cache, \{ cache \}/],
    ['an empty object', {}, /^Invalid option "source": give exactly one of/],
    ['two sources', { cache: new Cache({ logger: quiet }), servers: '127.0.0.1:1' }, /^Invalid option "servers": cannot be combined with "cache"/],
    ['a cache that is not a Cache', { cache: { get() {} } }, /^Invalid option "cache": must be a Cache from @larder\/core/],
    ['a Cache of another contract', { cache: { [Symbol.for('larder.cache')]: 1 } }, /^Invalid option "cache": is a Cache of an incompatible @larder\/core \(Cache contract 1/],
    ['keyPrefix beside a given cache', { cache: new Cache({ logger: quiet }), keyPrefix: 'x' }, /^Invalid option "keyPrefix": applies to a Cache built from a source/],
    ['a backend that is not a Backend', { backend: 'memcached' }, /^Invalid option "backend"/],
    ['an empty server list', { servers: '' }, /"servers"/],
    ['a username without password', { servers: '127.0.0.1:1', username: 'u' }, /^Invalid option "password"/],
    ['a misspelt memcached option', { servers: '127.0.0.1:1', pasword: 'p' }, /^Invalid option "pasword": is not an option of a \{ servers \} source/],
    ['a bad cache option on servers', { servers: '127.0.0.1:1', defaultTtl: -1 }, /^Invalid option "defaultTtl"/],
    ['fromEnv false', { fromEnv: false }, /^Invalid option "fromEnv": must be true or a non-empty variable prefix/],
    ['an env that is not an object', { fromEnv: true, env: 'X=1' }, /^Invalid option "env": must be an object/],
    ['a memcached option beside fromEnv', { fromEnv: true, timeout: 5 }, /^Invalid option "timeout": applies to a \{ servers \} source only, not to a \{ fromEnv \} source/],
    ['a memcached option beside backend', { backend: new MemoryBackend(), failureLimit: 2 }, /^Invalid option "failureLimit": applies to a \{ servers \} source only/],
    ['env without fromEnv', { servers: '127.0.0.1:1', env: {} }, /^Invalid option "env": applies to a \{ fromEnv \} source only/],
    ['an option no source has', { backend: new MemoryBackend(), ttl: 5 }, /^Invalid option "ttl": is not an option of a \{ backend \} source \(known: backend, keyPrefix/],
  ];
  for (const [what, source, message] of bad) {
    it(`refuses ${what} with an InvalidOptionError naming the option`, () => {
      assert.throws(() => openCacheSource(source as CacheSource, { logger: quiet }), { name: 'InvalidOptionError', code: 'E_INVALID_OPTION', message });
    });
  }

  it('a NullBackend is a backend like any other', async () => {
    const { cache } = openCacheSource({ backend: new NullBackend() });
    assert.equal(await cache.get('x'), undefined);
    await cache.close();
  });
});
