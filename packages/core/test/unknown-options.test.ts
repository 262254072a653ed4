import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Cache,
  cacheFromEnv,
  DecodeMemo,
  FlagSerializer,
  InvalidOptionError,
  MemcachedBackend,
  memoize,
  MemoryBackend,
  openCacheSource,
  toRecomputePolicy,
  NO_RECOMPUTE,
  optionFailure,
} from '../src/index.js';

const quiet = { warn() {} };
const servers = '127.0.0.1:1';
const bad = (value: unknown) => value as never;

/** An E_INVALID_OPTION naming `name` and listing the known names (`known` among them). */
function unknownOption(name: string, known: string) {
  return (error: unknown) => {
    assert.ok(error instanceof InvalidOptionError, `an InvalidOptionError, got ${String(error)}`);
    assert.equal(error.code, 'E_INVALID_OPTION');
    assert.ok(error.message.includes(`"${name}"`), error.message);
    assert.match(error.message, /known: /);
    assert.ok(error.message.includes(known), `lists ${known}: ${error.message}`);
    return true;
  };
}

describe('unknown option names are E_INVALID_OPTION naming the option and the known ones', () => {
  it('constructors', () => {
    assert.throws(() => new Cache(bad({ tll: 5 })), unknownOption('tll', 'defaultTtl'));
    assert.throws(() => new Cache(bad({ backend: new MemoryBackend(), keyprefix: 'a' })), unknownOption('keyprefix', 'keyPrefix'));
    assert.throws(() => new MemoryBackend(bad({ maxitems: 5 })), unknownOption('maxitems', 'maxItems'));
    assert.throws(() => new MemcachedBackend(bad({ servers, tiemout: 100 })), unknownOption('tiemout', 'timeout'));
    assert.throws(() => new FlagSerializer(bad({ threshold: 1 })), unknownOption('threshold', 'compressThreshold'));
    assert.throws(() => new DecodeMemo((value) => value, bad({ maxbytes: 1 })), unknownOption('maxbytes', 'maxBytes'));
    assert.throws(() => new Cache(bad({ near: { tll: 1 } })), unknownOption('near.tll', 'checkInterval'));
    assert.throws(() => new Cache(bad({ factoryTimeout: { sfot: 1 } })), unknownOption('factoryTimeout.sfot', 'soft'));
    assert.throws(() => new Cache(bad({ lock: { timout: 1 } })), unknownOption('lock.timout', 'timeout'));
  });

  it('a typo close to a known name is suggested', async () => {
    await assert.rejects(new Cache({ logger: quiet }).getOrSet('k', () => 1, bad({ tll: 5 })), /did you mean "ttl"\?/);
    assert.throws(() => new Cache(bad({ keyprefix: 'a' })), /did you mean "keyPrefix"\?/);
    assert.throws(() => new Cache(bad({ tll: 5 })), (error: Error) => !error.message.includes('did you mean'), 'nothing close: no guess');
    assert.throws(() => new MemoryBackend(bad({ maxitems: 5 })), /did you mean "maxItems"\?/);
    assert.throws(() => new MemcachedBackend(bad({ servers, tiemout: 100 })), /did you mean "timeout"\?/);
  });

  it('cacheFromEnv and openCacheSource', () => {
    assert.throws(() => cacheFromEnv(bad({ prefx: 'APP', env: {}, logger: quiet })), unknownOption('prefx', 'prefix'));
    assert.throws(() => cacheFromEnv(bad({ env: { MEMCACHED_SERVERS: servers }, logger: quiet, memcached: { tiemout: 1 } })), unknownOption('memcached.tiemout', 'timeout'));
    assert.throws(() => openCacheSource({ backend: new MemoryBackend() }, bad({ logr: quiet })), unknownOption('logr', 'logger'));
    assert.throws(() => openCacheSource(bad({ backend: new MemoryBackend(), tll: 1 })), unknownOption('tll', 'defaultTtl'));
  });

  it('toRecomputePolicy (the route configs of the adapters)', () => {
    assert.throws(() => toRecomputePolicy(bad({ timeout: { sfot: 1 } }), NO_RECOMPUTE, optionFailure()), unknownOption('timeout.sfot', 'hard'));
  });

  it('per-call options of getOrSet, reads and writes, on the cache and in a namespace', async () => {
    const cache = new Cache({ logger: quiet });
    const products = cache.namespace('products');
    let ran = 0;
    const factory = () => ++ran;
    await assert.rejects(cache.getOrSet('k', factory, bad({ tll: 5 })), unknownOption('tll', 'ttl'));
    await assert.rejects(cache.getOrSet('k', factory, bad({ timeout: { sfot: 1 } })), unknownOption('timeout.sfot', 'soft'));
    await assert.rejects(cache.getOrSet('k', factory, bad({ lock: { timout: 1 } })), unknownOption('lock.timout', 'timeout'));
    await assert.rejects(products.getOrSet('k', factory, bad({ tll: 5 })), unknownOption('tll', 'ttl'));
    assert.equal(ran, 0, 'refused before the factory runs');
    await assert.rejects(cache.get('k', bad({ stale: true })), unknownOption('stale', 'fresh'));
    await assert.rejects(cache.read('k', bad({ stale: true })), unknownOption('stale', 'fresh'));
    await assert.rejects(products.get('k', bad({ stale: true })), unknownOption('stale', 'fresh'));
    await assert.rejects(cache.set('k', 1, bad({ tll: 5 })), unknownOption('tll', 'ttl'));
    await assert.rejects(cache.write('k', 1, bad({ tll: 5 })), unknownOption('tll', 'ttl'));
    await assert.rejects(products.set('k', 1, bad({ tll: 5 })), unknownOption('tll', 'ttl'));
    assert.equal(await cache.get('k'), undefined, 'nothing written');
  });

  it('an option set to undefined counts as not given, as everywhere in Larder', async () => {
    const cache = new Cache(bad({ logger: quiet, tll: undefined }));
    assert.equal(await cache.getOrSet('k', () => 1, bad({ tll: undefined })), 1);
    void new MemoryBackend(bad({ maxitems: undefined }));
  });
});

describe('memoize checks every option where the function is wrapped, not at each call', () => {
  const cache = new Cache({ logger: quiet });
  const fn = async (x: number) => x;
  const badOptions: Array<[string, Record<string, unknown>]> = [
    ['tll', { tll: 5 }],
    ['ttl', { ttl: -1 }],
    ['ttl', { ttl: 'soon' }],
    ['unless', { unless: 1 }],
    ['forcedUpdate', { forcedUpdate: 'yes' }],
    ['responseFilter', { responseFilter: {} }],
    ['tags', { tags: 'a' }],
    ['tags', { tags: [''] }],
    ['tags', { tags: [1] }],
    ['name', { name: 5 }],
    ['warn', { warn: 'loud' }],
    ['cache', { cache: {} }],
    ['grace', { grace: 'later' }],
  ];
  for (const [name, options] of badOptions) {
    it(`${JSON.stringify(options)}: E_INVALID_OPTION naming "${name}", from memoize(), cache.memoize() and the decorator`, () => {
      const names = (error: unknown) => error instanceof InvalidOptionError && error.message.includes(`"${name}"`);
      assert.throws(() => memoize(bad({ cache, ...options }))(fn), names);
      assert.throws(() => cache.memoize(fn, bad(options)), names);
      // The decorator is checked when applied: memoize(options) refuses before any class uses it.
      assert.throws(() => memoize(bad({ cache, ...options })), names);
    });
  }

  it('good options wrap as before', async () => {
    const memoized = cache.memoize(fn, { name: 'good', ttl: '5m', unless: () => false, tags: (x) => [`n:${x}`], grace: 10, lock: false });
    assert.equal(await memoized(3), 3);
    assert.equal(await memoize({ cache, ttl: 0, tags: ['t'], name: 'good2' })(fn)(4), 4);
  });
});
