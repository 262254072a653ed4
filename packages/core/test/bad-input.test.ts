import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constants as bufferConstants } from 'node:buffer';
import { Cache, FailureLog, FlagSerializer, LarderError, MemcachedBackend, MemoryBackend, toSafeKey } from '../src/index.js';

/** Calls `call`; it must not throw synchronously, and its promise must reject with `code`. */
async function rejectsTyped(call: () => unknown, code: string): Promise<void> {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    assert.fail(`threw synchronously instead of rejecting: ${String(error)}`);
  }
  assert.ok(result instanceof Promise, 'returns a promise');
  await assert.rejects(result, (error: unknown) => {
    assert.ok(error instanceof LarderError, `a LarderError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

const bad = (value: unknown) => value as never;

describe('Cache methods given bad arguments reject with typed errors', () => {
  const cache = new Cache({ backend: new MemoryBackend(), logger: { warn() {} } });
  const fn = () => 1;

  const calls: Array<[string, () => unknown, string?]> = [
    ['get(42)', () => cache.get(bad(42))],
    ['has(undefined)', () => cache.has(bad(undefined))],
    ['set(42, 1)', () => cache.set(bad(42), 1)],
    ['set(k, 1, -1)', () => cache.set('k', 1, -1)],
    ['set(k, 1, "soon")', () => cache.set('k', 1, bad('soon'))],
    ['add(42, 1)', () => cache.add(bad(42), 1)],
    ['add(k, 1, -1)', () => cache.add('k', 1, -1)],
    ['replace(null, 1)', () => cache.replace(bad(null), 1)],
    ['delete(42)', () => cache.delete(bad(42))],
    ["getMany('abc')", () => cache.getMany(bad('abc'))],
    ['getMany(null)', () => cache.getMany(bad(null))],
    ['getMany([1])', () => cache.getMany(bad([1]))],
    ['setMany(null)', () => cache.setMany(bad(null))],
    ["setMany('abc')", () => cache.setMany(bad('abc'))],
    ['setMany(42)', () => cache.setMany(bad(42))],
    ['setMany([1])', () => cache.setMany(bad([1]))],
    ['setMany([[1, 2]])', () => cache.setMany(bad([[1, 2]]))],
    ['setMany({k: 1}, -1)', () => cache.setMany({ k: 1 }, -1)],
    ['deleteMany(undefined)', () => cache.deleteMany(bad(undefined))],
    ["deleteMany('abc')", () => cache.deleteMany(bad('abc'))],
    ['incr(42)', () => cache.incr(bad(42))],
    ["incr(k, 'x')", () => cache.incr('k', bad('x'))],
    ['incr(k, 1.5)', () => cache.incr('k', 1.5)],
    ["decr(k, 'x')", () => cache.decr('k', bad('x'))],
    ['decr(k, 2n)', () => cache.decr('k', bad(2n))],
    ['touch(42, 1)', () => cache.touch(bad(42), 1)],
    ["touch(k, 'x')", () => cache.touch('k', bad('x'))],
    ['gets(42)', () => cache.gets(bad(42))],
    ['cas(42, 1, 1n)', () => cache.cas(bad(42), 1, 1n)],
    ["cas(k, 1, 'x')", () => cache.cas('k', 1, bad('x'))],
    ['cas(k, 1, 1n, -1)', () => cache.cas('k', 1, 1n, -1)],
    ['getOrSet(42, fn)', () => cache.getOrSet(bad(42), fn)],
    ['getOrSet(k, "not a function")', () => cache.getOrSet('k', bad('not a function'))],
    ['getOrSet(k, fn, -1)', () => cache.getOrSet('k', fn, -1)],
    ['set(k, undefined)', () => cache.set('k', undefined), 'E_SERIALIZE'],
    ['add(k, () => 1)', () => cache.add('k', () => 1), 'E_SERIALIZE'],
  ];
  for (const [what, call, code] of calls) {
    it(`${what} rejects with ${code ?? 'E_INVALID_ARGUMENT'}`, () => rejectsTyped(call, code ?? 'E_INVALID_ARGUMENT'));
  }

  it('memoize and backendKey, which are synchronous, throw typed errors', () => {
    assert.throws(() => cache.memoize(bad('not a function')), { code: 'E_INVALID_ARGUMENT' });
    assert.throws(() => cache.backendKey(bad(42)), { code: 'E_INVALID_ARGUMENT' });
  });

  it('a memoized function given an argument it cannot key on rejects with a typed error', async () => {
    const memoized = cache.memoize((x: unknown) => String(x), { name: 'bad-input-memo' });
    await rejectsTyped(() => memoized(() => 1), 'E_INVALID_ARGUMENT');
  });
});

describe('bad options are typed errors naming the option', () => {
  const option = (name: string) => ({ code: 'E_INVALID_OPTION', message: new RegExp(`"${name}"`) });

  it('Cache options', () => {
    assert.throws(() => new Cache(bad(null)), { code: 'E_INVALID_OPTION' });
    assert.throws(() => new Cache(bad(42)), { code: 'E_INVALID_OPTION' });
    for (const value of ['x', -1, Number.NaN, 1.5, Infinity]) {
      assert.throws(() => new Cache({ compressThreshold: bad(value) }), option('compressThreshold'));
    }
    for (const value of [Number.NaN, -1, 'x', Infinity]) {
      assert.throws(() => new Cache({ errorLogInterval: bad(value) }), option('errorLogInterval'));
    }
    assert.throws(() => new Cache({ ignoreErrors: bad('yes') }), option('ignoreErrors'));
    assert.throws(() => new Cache({ logger: bad({}) }), option('logger'));
    assert.throws(() => new Cache({ logger: bad(null) }), option('logger'));
    assert.throws(() => new Cache({ backend: bad({}) }), option('backend'));
    assert.throws(() => new Cache({ backend: bad('memory') }), option('backend'));
    assert.throws(() => new Cache({ serializer: bad({ encode: 1 }) }), option('serializer'));
    assert.throws(() => new Cache({ defaultTtl: bad('soon') }), option('defaultTtl'));
  });

  it('FlagSerializer and FailureLog options', () => {
    for (const value of ['x', -1, Number.NaN]) {
      assert.throws(() => new FlagSerializer({ compressThreshold: bad(value) }), option('compressThreshold'));
      assert.throws(() => new FlagSerializer({ maxValueSize: bad(value) }), option('maxValueSize'));
    }
    assert.throws(() => new FailureLog({ warn() {} }, Number.NaN), { code: 'E_INVALID_OPTION' });
    assert.throws(() => new FailureLog(bad({}), 1000), { code: 'E_INVALID_OPTION' });
  });

  it('MemcachedBackend servers', () => {
    for (const servers of [null, undefined, 11211, [123], [null], {}, [''], '', ['host:port'], ['a:99999']]) {
      assert.throws(() => new MemcachedBackend({ servers: bad(servers) }), option('servers'), JSON.stringify(servers));
    }
  });

  it('MemoryBackend options', () => {
    assert.throws(() => new MemoryBackend(bad(null)), { code: 'E_INVALID_OPTION' });
    assert.throws(() => new MemoryBackend({ maxItems: bad('10') }), option('maxItems'));
    assert.throws(() => new MemoryBackend({ now: bad('clock') }), option('now'));
  });
});

describe('the remaining typed-error gaps', () => {
  const option = (name: string) => ({ code: 'E_INVALID_OPTION', message: new RegExp(`"${name}"`) });
  const servers = '127.0.0.1:1';

  it('toSafeKey given a non-string throws InvalidArgumentError', () => {
    for (const key of [1, undefined, null, {}, Symbol('k')]) {
      assert.throws(() => toSafeKey(bad(key)), { code: 'E_INVALID_ARGUMENT' }, String(typeof key));
    }
  });

  it('MemcachedBackend refuses keepAlive, username, password, chunkSize, maxValueSize, onNodeChange and failoverTtl of the wrong kind', () => {
    assert.throws(() => new MemcachedBackend({ servers, keepAlive: bad('no') }), option('keepAlive'));
    assert.throws(() => new MemcachedBackend({ servers, username: bad(1), password: 'p' }), option('username'));
    assert.throws(() => new MemcachedBackend({ servers, username: 'u', password: bad(2) }), option('password'));
    for (const value of [0.5, 0, -1, 1023, 1024.5, Number.NaN, Infinity, '1000000']) {
      assert.throws(() => new MemcachedBackend({ servers, chunkSize: bad(value) }), option('chunkSize'), String(value));
    }
    for (const value of [0.5, 0, 1.5, Number.NaN]) {
      assert.throws(() => new MemcachedBackend({ servers, maxValueSize: bad(value) }), option('maxValueSize'), String(value));
    }
    for (const value of [1, 'log', {}, null]) {
      assert.throws(() => new MemcachedBackend({ servers, onNodeChange: bad(value) }), option('onNodeChange'), String(value));
    }
    for (const value of [0, -1, 'soon', Number.NaN, Infinity, 2_592_001]) {
      assert.throws(() => new MemcachedBackend({ servers, failoverTtl: bad(value) }), option('failoverTtl'), String(value));
    }
    for (const good of [{ chunkSize: 1024 }, { failoverTtl: 1 }, { failoverTtl: '5m' as const }, { keepAlive: false }, { onNodeChange() {} }]) {
      void new MemcachedBackend({ servers, ...good }).close();
    }
  });

  it('maxValueSize above what a Buffer can hold is refused by both backends, naming the maximum', () => {
    const max = bufferConstants.MAX_LENGTH;
    const over = Math.min(max + 1, Number.MAX_SAFE_INTEGER);
    if (over <= max) return; // a Node whose Buffers hold any safe integer: nothing to refuse
    const names = (error: Error & { code?: string }) => error.code === 'E_INVALID_OPTION' && error.message.includes('"maxValueSize"') && error.message.includes(String(max));
    assert.throws(() => new MemoryBackend({ maxValueSize: over, maxBytes: over * 2 }), names);
    assert.throws(() => new MemcachedBackend({ servers, maxValueSize: over }), names);
    void new MemcachedBackend({ servers, maxValueSize: max }).close();
  });

  it('a FlagSerializer with maxValueSize above what a Buffer can hold still reads compressed values back', () => {
    const serializer = new FlagSerializer({ maxValueSize: Math.max(2 ** 33, bufferConstants.MAX_LENGTH), compressThreshold: 100 });
    const value = { a: 'x'.repeat(40_000) };
    const item = serializer.encode(value);
    assert.ok(item.flags & 8, 'compressed');
    assert.deepEqual(serializer.decode('k', item), value);
  });
});

describe('MemoryBackend never crashes at construction', () => {
  for (const maxItems of [1e8, 1e9, Number.MAX_SAFE_INTEGER]) {
    it(`maxItems ${maxItems} constructs and works without preallocating`, async () => {
      const before = process.memoryUsage().rss;
      const backend = new MemoryBackend({ maxItems });
      const grown = process.memoryUsage().rss - before;
      assert.ok(grown < 64 * 1024 * 1024, `construction took ${grown} bytes`);
      await backend.set('k', { value: Buffer.from('v'), flags: 0 }, 0);
      assert.deepEqual((await backend.get('k'))?.value, Buffer.from('v'));
    });
  }

  it('still keeps at most maxItems, dropping the least recently used', async () => {
    const backend = new MemoryBackend({ maxItems: 2 });
    const item = { value: Buffer.from('v'), flags: 0 };
    await backend.set('a', item, 0);
    await backend.set('b', item, 0);
    await backend.get('a');
    await backend.set('c', item, 0);
    assert.equal(await backend.get('b'), undefined);
    assert.ok(await backend.get('a'));
    assert.ok(await backend.get('c'));
    await backend.set('c', item, 0);
    assert.ok(await backend.get('a'), 'overwriting a key evicts nothing');
  });
});
