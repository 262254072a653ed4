import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MemcachedServer } from '@larder/testing';
import { suiteBackends, suiteCache } from '../src/conformance.js';
import { Cache, deleteMemoized, memoize, MemoryBackend, setDefaultCache } from '../src/index.js';
import { memoizedIdentity } from '../src/memoize/memoize.js';

const quiet = { warn() {} };

for (const backend of suiteBackends(() => MemcachedServer.start())) {
  const { name } = backend;
  describe(`memoize on ${name}`, () => {
    let cache: Cache;
    suiteCache(backend, (made) => (cache = made));

    it('caches by normalised arguments: object key order does not matter', async () => {
      let calls = 0;
      const price = cache.memoize(async (item: string, opts: { a: number; b: number }) => ++calls + item.length + opts.a, { name: `${name}:price` });
      assert.equal(await price('x', { a: 1, b: 2 }), 3);
      assert.equal(await price('x', { b: 2, a: 1 }), 3);
      assert.equal(calls, 1);
      await price('y', { a: 1, b: 2 });
      assert.equal(calls, 2);
    });

    it('two different functions never share a key, even with the same name in one module', async () => {
      const warnings: string[] = [];
      const first = cache.memoize(function lookup(id: number) { return `first ${id}`; }, { warn: (m) => warnings.push(m) });
      const second = cache.memoize(function lookup(id: number) { return `second ${id}`; }, { warn: (m) => warnings.push(m) });
      assert.equal(await first(1), 'first 1');
      assert.equal(await second(1), 'second 1');
      assert.notEqual(memoizedIdentity(first), memoizedIdentity(second));
      assert.match(memoizedIdentity(first)!, /test\/memoize\.test\.lookup(#\d+)?$/, 'module-qualified');
      assert.ok(warnings.some((w) => w.includes('give it a "name" option')), 'the ambiguity is warned about');
    });

    it('concurrent calls with the same arguments share one execution; a rejection is not cached', async () => {
      let calls = 0;
      const slow = cache.memoize(async (n: number) => {
        calls++;
        await new Promise((r) => setTimeout(r, 20));
        if (n < 0) throw new Error('negative');
        return n * 2;
      }, { name: `${name}:slow` });
      assert.deepEqual(await Promise.all([slow(4), slow(4), slow(4)]), [8, 8, 8]);
      assert.equal(calls, 1);
      await assert.rejects(slow(-1), /negative/);
      await assert.rejects(slow(-1), /negative/);
      assert.equal(calls, 3, 'rejections are run again');
    });

    it('deleteMemoized(fn) forgets every result with one write; deleteMemoized(fn, ...args) forgets one', async () => {
      let calls = 0;
      const square = cache.memoize((n: number) => { calls++; return n * n; }, { name: `${name}:square` });
      await square(2);
      await square(3);
      assert.equal(calls, 2);
      await deleteMemoized(square, 2);
      await square(2);
      await square(3);
      assert.equal(calls, 3);
      const before = cache.stats();
      await deleteMemoized(square);
      assert.equal(cache.stats().sets - before.sets, 1, 'one write forgets them all');
      await square(2);
      await square(3);
      assert.equal(calls, 5);
    });

    it('unless skips the cache, forcedUpdate recomputes, responseFilter decides what is kept', async () => {
      let calls = 0;
      const fn = cache.memoize((n: number) => ++calls * 0 + n, {
        name: `${name}:options`,
        unless: (n) => n === 0,
        forcedUpdate: (n) => n === 1,
        responseFilter: (result) => result !== 2,
      });
      await fn(0); await fn(0);
      assert.equal(calls, 2, 'unless: never cached');
      await fn(1); await fn(1);
      assert.equal(calls, 4, 'forcedUpdate: always recomputed');
      await fn(2); await fn(2);
      assert.equal(calls, 6, 'responseFilter false: not stored');
      await fn(3); await fn(3);
      assert.equal(calls, 7);
    });

    it('this is not part of the key unless the instance has a cacheId', async () => {
      let calls = 0;
      const method = cache.memoize(function (this: { cacheId?: string }, n: number) { calls++; return `${this.cacheId ?? '-'}${n}`; }, { name: `${name}:method` });
      const a = { method };
      const b = { method };
      await a.method(1); await b.method(1);
      assert.equal(calls, 1);
      const tenantA = { cacheId: 'A', method };
      const tenantB = { cacheId: 'B', method };
      assert.equal(await tenantA.method(1), 'A1');
      assert.equal(await tenantB.method(1), 'B1');
      assert.equal(calls, 3);
    });
  });
}


describe('memoize single-flight', () => {
  it('two caches with one prefix over different backends do not share flights', async () => {
    const one = new Cache({ backend: new MemoryBackend(), keyPrefix: 'app:', logger: quiet });
    const two = new Cache({ backend: new MemoryBackend(), keyPrefix: 'app:', logger: quiet });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // One identity and one version in both caches, so both compute the same result key.
    await one.set('memoize:shared-flight:version', 'v1', 0);
    await two.set('memoize:shared-flight:version', 'v1', 0);
    let runs = 0;
    const compute = async (source: string): Promise<string> => {
      runs++;
      if (source === 'one') await held;
      return `from ${source}`;
    };
    const inOne = memoize({ name: 'shared-flight', cache: one, warn: () => {} })(compute);
    const inTwo = memoize({ name: 'shared-flight', cache: two, warn: () => {} })((_: string) => compute('two'));
    const first = inOne('one');
    assert.equal(await inTwo('one'), 'from two', 'the second cache ran its own function while the first was still running');
    release();
    assert.equal(await first, 'from one');
    assert.equal(runs, 2);
  });
});

describe('@memoize() decorators compiled by tsc', () => {
  const buildDir = fileURLToPath(new URL('../.decorator-build', import.meta.url));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  after(() => rmSync(buildDir, { recursive: true, force: true }));

  for (const flavour of ['standard', 'legacy'] as const) {
    it(`${flavour} decorators: compiles, caches per arguments, and deleteMemoized works on the method`, async () => {
      // One source, compiled twice: the tsconfig decides which decorator flavour tsc emits.
      const project = fileURLToPath(new URL(`./fixtures/${flavour}-decorators/tsconfig.json`, import.meta.url));
      execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'pipe' });
      const { makeService } = (await import(pathToFileURL(`${buildDir}/${flavour}/decorated-service.js`).href)) as typeof import('./fixtures/decorated-service.js');
      // The compiled service imports the built package, so this test uses the same module.
      const { Cache, deleteMemoized } = await import('@larder/core');
      const cache = new Cache({ logger: quiet });
      const Service = makeService(cache);
      const service = new Service();
      assert.equal(await service.quote('pen', { currency: 'EUR', qty: 2 }), 12);
      assert.equal(await service.quote('pen', { qty: 2, currency: 'EUR' }), 12);
      assert.equal(service.calls, 1);
      await deleteMemoized(Service.prototype.quote);
      await service.quote('pen', { currency: 'EUR', qty: 2 });
      assert.equal(service.calls, 2);
      // Tags from the method's arguments: invalidating one recomputes only its results.
      assert.equal(await service.stock('pen'), 'pen #3');
      assert.equal(await service.stock('ink'), 'ink #4');
      assert.equal(await service.stock('pen'), 'pen #3');
      await cache.invalidateTags(['item:pen']);
      assert.equal(await service.stock('pen'), 'pen #5');
      assert.equal(await service.stock('ink'), 'ink #4');
    });
  }

  it('without a cache, a memoized call fails with a clear error until a default is set', async () => {
    setDefaultCache(undefined);
    const fn = memoize({ name: 'needs-default' })((n: number) => n + 1);
    await assert.rejects(fn(1), { code: 'E_INVALID_OPTION', message: /setDefaultCache/ });
    setDefaultCache(new Cache({ logger: quiet }));
    assert.equal(await fn(1), 2);
    setDefaultCache(undefined);
  });
});
