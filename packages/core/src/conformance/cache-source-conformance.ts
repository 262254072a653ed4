import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryBackend } from '../backends/memory-backend.js';
import { Cache } from '../cache.js';
import type { CacheLogger } from '../failure-log.js';
import { isCache, openCacheSource, type CacheSource } from '../opening/cache-source.js';
import type { SuiteMemcached } from './suite-backends.js';

/** What a package made of a source: the Cache it uses, one use of it through the package, and the package's own close. */
export interface ConsumedSource {
  /** The Cache the package serves. */
  readonly cache: Cache;
  /** Uses the cache the way the package does (a cached request, a session round trip); throws when that fails. */
  use(): Promise<void>;
  /** Closes the package (`app.close()`, `store.close()`): a Cache it built is closed with it, a given one never. */
  close(): Promise<void>;
}

/** How a package takes a cache source, and the memcached and second copy of @larder/core the suite runs against. */
export interface CacheSourceConsumer {
  /**
   * `source`: the source is an argument of its own (`openCacheSource`, `MemcachedStore`): a bare
   * Cache is a form and no source is an error. `adapter options`: the source's fields sit in the
   * adapter's options (`openAdapterCache`): no source, or `fromEnv: false`, is an in-memory cache.
   */
  readonly form: 'source' | 'adapter options';
  /** Opens `source` as the package does; a refusal throws (or rejects with) the package's error and leaves nothing open. */
  open(source: CacheSource): ConsumedSource | Promise<ConsumedSource>;
  /** Starts a memcached for the run (`() => MemcachedServer.start()` from @larder/testing). */
  startMemcached(): Promise<SuiteMemcached>;
  /** Loads a second, separate copy of built @larder/core (`importSecondCopy(coreDir)` from @larder/testing). */
  importSecondCopy(): Promise<{ readonly module: SecondCore; dispose(): void }>;
}

/** What the suite uses of a second copy of @larder/core. */
export interface SecondCore {
  readonly Cache: new (options: { logger: CacheLogger }) => object;
  isCache(value: unknown): boolean;
}

/** A source every consumer refuses, the message it must carry, and the form it applies to (both when absent). */
type Refusal = readonly [what: string, source: unknown, message: RegExp, only?: CacheSourceConsumer['form']];

const quiet: CacheLogger = { warn: () => {} };

/** Sources no consumer takes. The ones an adapter reads as "no source" (an in-memory cache) are refused by a `source` consumer only. */
function refusals(newCache: () => Cache): Refusal[] {
  return [
    ['null', null, /^Invalid option "source": must be a Cache, \{ cache \}/, 'source'],
    ['an empty object', {}, /^Invalid option "source": give exactly one of/, 'source'],
    ['fromEnv false', { fromEnv: false }, /^Invalid option "fromEnv": must be true or a non-empty variable prefix/, 'source'],
    ['env and no source', { env: {} }, /^Invalid option "source": give exactly one of/, 'source'],
    ['env and no source', { env: {} }, /^Invalid option "env": applies to a \{ fromEnv \} source only, not to a cache source/, 'adapter options'],
    ['two sources', { cache: newCache(), servers: '127.0.0.1:1' }, /^Invalid option "servers": cannot be combined with "cache"/],
    ['a cache that is not a Cache', { cache: { get() {} } }, /^Invalid option "cache": must be a Cache from @larder\/core/],
    ['a Cache of another contract', { cache: { [Symbol.for('larder.cache')]: 1 } }, /^Invalid option "cache": is a Cache of an incompatible @larder\/core \(Cache contract 1/],
    ['keyPrefix beside a given cache', { cache: newCache(), keyPrefix: 'x' }, /^Invalid option "keyPrefix": applies to a Cache built from a source/],
    ['a backend that is not a Backend', { backend: 'memcached' }, /^Invalid option "backend"/],
    ['an empty server list', { servers: '' }, /"servers"/],
    ['a username without password', { servers: '127.0.0.1:1', username: 'u' }, /^Invalid option "password"/],
    ['a misspelt memcached option', { servers: '127.0.0.1:1', pasword: 'p' }, /^Invalid option "pasword": is not an option of a \{ servers \} source/],
    ['a bad cache option on servers', { servers: '127.0.0.1:1', defaultTtl: -1 }, /^Invalid option "defaultTtl"/],
    ['a fromEnv that is not a prefix', { fromEnv: 7 }, /^Invalid option "fromEnv": must be true or a non-empty variable prefix/],
    ['an env that is not an object', { fromEnv: true, env: 'X=1' }, /^Invalid option "env": must be an object/],
    ['a memcached option beside fromEnv', { fromEnv: true, timeout: 5 }, /^Invalid option "timeout": applies to a \{ servers \} source only, not to a \{ fromEnv \} source/],
    ['failureLimit beside backend', { backend: new MemoryBackend(), failureLimit: 2 }, /^Invalid option "failureLimit": applies to a \{ servers \} source only/],
    ['timeout beside backend', { backend: new MemoryBackend(), timeout: 5 }, /^Invalid option "timeout": applies to a \{ servers \} source only/],
    ['env beside servers', { servers: '127.0.0.1:1', env: {} }, /^Invalid option "env": applies to a \{ fromEnv \} source only/],
    ['an option no source has', { backend: new MemoryBackend(), ttl: 5 }, /^Invalid option "ttl": is not an option of a \{ backend \} source \(known: backend, keyPrefix/],
  ];
}

/**
 * Every form of cache source (`openCacheSource`) as node:test tests, for a package that takes one:
 * a Cache (also from a second copy of @larder/core) is used and never closed; `{ backend }`,
 * `{ servers }` and `{ fromEnv }` build a Cache the package closes; anything else is refused
 * with the very InvalidOptionError `openCacheSource` gives.
 */
export function cacheSourceConformance(name: string, consumer: CacheSourceConsumer): void {
  describe(name, () => {
    let server: SuiteMemcached;
    let copy: { readonly module: SecondCore; dispose(): void };
    const made: Cache[] = [];
    const newCache = (): Cache => {
      const cache = new Cache({ logger: quiet });
      made.push(cache);
      return cache;
    };
    before(async () => {
      server = await consumer.startMemcached();
      copy = await consumer.importSecondCopy();
    });
    after(async () => {
      copy.dispose();
      await Promise.all(made.map((cache) => cache.close()));
      await server.stop();
    });

    /** Opens, uses and closes `source`; then the Cache the consumer served is closed (built) or still open (given). */
    async function openUseClose(source: CacheSource): Promise<Cache> {
      const consumed = await consumer.open(source);
      await consumed.use();
      await consumed.close();
      return consumed.cache;
    }

    it(`${consumer.form === 'source' ? 'a bare Cache and ' : ''}{ cache }: used as is, never closed`, async () => {
      const cache = newCache();
      for (const source of consumer.form === 'source' ? [cache, { cache }] : [{ cache }]) {
        assert.equal(await openUseClose(source), cache);
      }
      assert.equal(await cache.set('still', 'open'), true);
    });

    it('a Cache from a second copy of @larder/core (brand, not instanceof): accepted, used, never closed', async () => {
      const foreign = new copy.module.Cache({ logger: quiet }) as Cache;
      made.push(foreign);
      assert.equal(foreign instanceof Cache, false, 'the copy is a separate module instance');
      assert.equal(isCache(foreign), true);
      assert.equal(copy.module.isCache(newCache()), true, 'and the other way round');
      assert.equal(await openUseClose({ cache: foreign }), foreign);
      assert.equal(await foreign.set('still', 'open'), true);
    });

    it('{ backend, ...cacheOptions }: a Cache on that backend with those options, closed on close', async () => {
      const backend = new MemoryBackend();
      const consumed = await consumer.open({ backend, keyPrefix: 'b:', defaultTtl: '1m' });
      assert.equal(consumed.cache.backend, backend);
      assert.equal(consumed.cache.keyPrefix, 'b:');
      assert.equal(consumed.cache.defaultTtl, 60);
      await consumed.use();
      await consumed.close();
      await assert.rejects(backend.get('k'), { code: 'E_CLOSED' });
    });

    it('{ servers, ...memcached and cache options }: a Cache on memcached (a string or a list), closed on close', async () => {
      for (const servers of [server.address, [server.address]]) {
        const consumed = await consumer.open({ servers, timeout: '1s', connectTimeout: '1s', failureLimit: 3, keyPrefix: 's:' });
        assert.equal(consumed.cache.backend.name, `memcached(${server.address})`);
        assert.equal(consumed.cache.keyPrefix, 's:');
        assert.equal(await consumed.cache.set('k', 'v'), true);
        assert.equal(await consumed.cache.get('k'), 'v');
        await consumed.use();
        await consumed.close();
        await assert.rejects(consumed.cache.get('k'), { code: 'E_CLOSED' });
      }
    });

    it('{ fromEnv, env }: memcached from the given environment (with or without a prefix), closed on close', async () => {
      for (const source of [{ fromEnv: 'shop', env: { SHOP_MEMCACHED_SERVERS: server.address } }, { fromEnv: true as const, env: { MEMCACHED_SERVERS: server.address } }]) {
        const consumed = await consumer.open(source);
        assert.equal(consumed.cache.backend.name, `memcached(${server.address})`);
        await consumed.use();
        await consumed.close();
        await assert.rejects(consumed.cache.get('k'), { code: 'E_CLOSED' });
      }
    });

    if (consumer.form === 'adapter options') {
      it('no source, or fromEnv: false: an in-memory Cache, closed on close', async () => {
        for (const source of [{}, { fromEnv: false }]) {
          const cache = await openUseClose(source as CacheSource);
          assert.equal(cache.backend.name, 'memory');
          await assert.rejects(cache.get('k'), { code: 'E_CLOSED' });
        }
      });
    }

    for (const [what, source, message, only] of refusals(newCache)) {
      if (only !== undefined && only !== consumer.form) continue;
      it(`refuses ${what} with the very InvalidOptionError openCacheSource gives`, async () => {
        let expected: unknown;
        try {
          openCacheSource(source as CacheSource, { logger: quiet, memoryWhenEmpty: consumer.form === 'adapter options' });
        } catch (error) {
          expected = error;
        }
        assert.ok(expected instanceof Error, 'openCacheSource refuses it');
        assert.match(expected.message, message);
        await assert.rejects(async () => consumer.open(source as CacheSource), { name: 'InvalidOptionError', code: 'E_INVALID_OPTION', message: expected.message });
      });
    }
  });
}
