import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { importSecondCopy, MemcachedServer } from '@larder/testing';
import { cacheSourceConformance } from '../src/conformance.js';
import { Cache, MemoryBackend, NullBackend, openCacheSource, type CacheSource } from '../src/index.js';

const quiet = { warn: () => {} };
const coreDir = fileURLToPath(new URL('..', import.meta.url));

// openCacheSource as its own consumer: the cache it names, closed when owned.
cacheSourceConformance('openCacheSource', {
  form: 'source',
  open: (source) => {
    const { cache, owned } = openCacheSource(source, { logger: quiet });
    return {
      cache,
      use: async () => {
        assert.equal(await cache.set('used', 'yes'), true);
        assert.equal(await cache.get('used'), 'yes');
      },
      close: async () => {
        if (owned) await cache.close();
      },
    };
  },
  startMemcached: () => MemcachedServer.start(),
  importSecondCopy: () => importSecondCopy(coreDir),
});

describe('openCacheSource: what the shared suite does not cover', () => {
  it('reports the form a source took, and whether the caller owns it', async () => {
    const cache = new Cache({ logger: quiet });
    assert.deepEqual(openCacheSource(cache), { cache, owned: false, kind: 'cache' });
    assert.deepEqual(openCacheSource({ cache }), { cache, owned: false, kind: 'cache' });
    const opened = [
      [openCacheSource({ backend: new MemoryBackend() }, { logger: quiet }), 'backend'],
      [openCacheSource({ servers: '127.0.0.1:1' }, { logger: quiet }), 'servers'],
      [openCacheSource({ fromEnv: true, env: { MEMCACHED_SERVERS: '127.0.0.1:1' } }, { logger: quiet }), 'fromEnv'],
      [openCacheSource({} as CacheSource, { memoryWhenEmpty: true, logger: quiet }), 'memory'],
    ] as const;
    for (const [{ owned, kind }, expected] of opened) assert.deepEqual({ owned, kind }, { owned: true, kind: expected });
    await Promise.all([cache, ...opened.map(([{ cache: built }]) => built)].map((each) => each.close()));
  });

  it('{ fromEnv, env } builds from the given environment, else memory, and says so through the logger', async () => {
    const lines: string[] = [];
    const logger = { warn: (line: string) => void lines.push(line) };
    const memcached = openCacheSource({ fromEnv: 'app', env: { APP_MEMCACHED_SERVERS: '127.0.0.1:1' } }, { logger });
    assert.equal(memcached.cache.backend.name, 'memcached(127.0.0.1:1)');
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
    assert.equal(empty.cache.backend.name, 'memory');
    await Promise.all([built.cache.close(), empty.cache.close()]);
  });

  it('a NullBackend is a backend like any other', async () => {
    const { cache } = openCacheSource({ backend: new NullBackend() });
    assert.equal(await cache.get('x'), undefined);
    await cache.close();
  });
});
