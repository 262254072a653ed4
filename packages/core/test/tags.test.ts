import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { Cache, DecodeMemo, Flags, MAX_TAGS, MemoryBackend, memoize, tagReadBackProblem, type CacheErrorEvent } from '../src/index.js';

const quiet = { warn() {} };
const ALL_READS = ['get', 'has', 'read', 'getMany', 'readDecoded', 'readDecodedEntry', 'peekDecoded'] as const;

/** What every read of `key` gives, so one assertion covers each read path (memo: a fresh decode memo per call). */
async function readsOf(cache: Cache, key: string): Promise<Record<(typeof ALL_READS)[number], unknown>> {
  const memo = new DecodeMemo((value) => value);
  // First, so the memo has not learnt the item from another read.
  const peekCold = cache.flights(memo).peek(key);
  const readDecodedEntry = (await cache.flights(memo).read(key))?.value;
  const peekDecoded = cache.flights(memo).peek(key);
  assert.equal(peekCold, undefined, 'a memo that never decoded the item has nothing to peek');
  const read = await cache.read(key);
  return {
    get: await cache.get(key),
    has: await cache.has(key),
    read: read.status === 'hit' ? read.value : read.status,
    getMany: (await cache.getMany([key]))[key],
    readDecoded: await cache.readDecoded(key, memo),
    readDecodedEntry,
    peekDecoded,
  };
}

function hitEverywhere(value: unknown) {
  return { get: value, has: true, read: value, getMany: value, readDecoded: value, readDecodedEntry: value, peekDecoded: value };
}
const MISS_EVERYWHERE = { get: undefined, has: false, read: 'miss', getMany: undefined, readDecoded: undefined, readDecodedEntry: undefined, peekDecoded: undefined };

describe('tags on the memory backend (one process)', () => {
  it('every read serves a tagged value; invalidateTags makes it a miss on every read, and spares other tags', async () => {
    const cache = new Cache({ logger: quiet });
    assert.equal(await cache.set('p7', 'seven', { tags: ['product:7'] }), true);
    assert.equal((await cache.write('p8', 'eight', { ttl: 60, tags: ['product:8'] })).status, 'stored');
    await cache.set('both', 'seven and eight', { tags: ['product:7', 'product:8'] });
    await cache.set('plain', 'untagged');
    assert.deepEqual(await readsOf(cache, 'p7'), hitEverywhere('seven'));
    assert.deepEqual(await readsOf(cache, 'both'), hitEverywhere('seven and eight'));

    assert.equal(await cache.invalidateTags(['product:7']), true);
    assert.deepEqual(await readsOf(cache, 'p7'), MISS_EVERYWHERE);
    assert.deepEqual(await readsOf(cache, 'both'), MISS_EVERYWHERE, 'a value with two tags goes when either is invalidated');
    assert.deepEqual(await readsOf(cache, 'p8'), hitEverywhere('eight'));
    assert.deepEqual(await readsOf(cache, 'plain'), hitEverywhere('untagged'));

    await cache.set('both', 'again', { tags: ['product:7', 'product:8'] });
    assert.equal(await cache.get('both'), 'again', 'written after the invalidation: current');
    await cache.invalidateTags(['product:8']);
    assert.equal(await cache.get('both'), undefined);
    assert.equal(await cache.get('p8'), undefined);
    await cache.close();
  });

  it('a tagged hit is answered without a promise: peekDecoded serves it, and never an invalidated one', async () => {
    const cache = new Cache({ logger: quiet });
    const memo = new DecodeMemo((value) => `page: ${String(value)}`);
    await cache.set('/products/7', '<h1>7</h1>', { ttl: 60, tags: ['product:7'] });
    assert.equal(cache.flights(memo).peek('/products/7'), undefined, 'not decoded yet');
    assert.equal(await cache.readDecoded('/products/7', memo), 'page: <h1>7</h1>');
    const hitsBefore = cache.stats().hits;
    assert.equal(cache.flights(memo).peek('/products/7'), 'page: <h1>7</h1>');
    assert.equal(cache.stats().hits, hitsBefore + 1);
    await cache.invalidateTags(['product:7']);
    assert.equal(cache.flights(memo).peek('/products/7'), undefined);
    assert.equal(cache.stats().hits, hitsBefore + 1, 'nothing counted: the caller reads on');
    assert.equal(await cache.flights(memo).read('/products/7'), undefined);
    await cache.close();
  });

  it('a value past its ttl within grace is served stale with its tags current, and not at all once a tag is invalidated', async (t) => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    t.after(() => mock.timers.reset());
    const cache = new Cache({ logger: quiet });
    const memo = new DecodeMemo((value) => value);
    await cache.set('page', 'old page', { ttl: 1, grace: 3600, tags: ['product:7'] });
    mock.timers.tick(2000);
    assert.deepEqual(await cache.flights(memo).read('page'), { value: 'old page', stale: true });
    assert.equal(await cache.getOrSet('page', () => 'new page', { grace: 3600, tags: ['product:7'] }), 'old page', 'served stale while it refreshes');
    await cache.set('page', 'old page', { ttl: 1, grace: 3600, tags: ['product:7'] });
    mock.timers.tick(2000);
    await cache.invalidateTags(['product:7']);
    assert.equal(await cache.flights(memo).read('page'), undefined);
    assert.equal((await cache.read('page')).status, 'miss');
    assert.equal(await cache.getOrSet('page', () => 'new page', { grace: 3600, tags: ['product:7'] }), 'new page', 'no stale value of an invalidated tag');
    await cache.close();
  });

  it('getOrSet: stamped with the versions read before the factory ran, so a value computed across an invalidation is a miss after it', async () => {
    const cache = new Cache({ logger: quiet });
    let runs = 0;
    const value = await cache.getOrSet('list', async () => {
      runs++;
      await cache.invalidateTags(['product:7']); // the data changed while this was computed
      return 'computed from old data';
    }, { tags: ['product:7'] });
    assert.equal(value, 'computed from old data');
    assert.equal(await cache.get('list'), undefined, 'stored under the old version: a miss');
    assert.equal(await cache.getOrSet('list', () => `run ${++runs}`, { tags: ['product:7'] }), 'run 2');
    assert.equal(await cache.getOrSet('list', () => `run ${++runs}`, { tags: ['product:7'] }), 'run 2');
    await cache.close();
  });

  it('getOrSet with tags serves only a value carrying every one of them', async () => {
    const cache = new Cache({ logger: quiet });
    await cache.set('k', 'untagged');
    assert.equal(await cache.getOrSet('k', () => 'tagged', { tags: ['a'] }), 'tagged', 'an untagged value cannot be invalidated by the tag: recomputed');
    assert.equal(await cache.getOrSet('k', () => 'again', { tags: ['a'] }), 'tagged');
    assert.equal(await cache.getOrSet('k', () => 'both', { tags: ['a', 'b'] }), 'both');
    assert.equal(await cache.getOrSet('k', () => 'no tags'), 'both', 'a call without tags serves it as get does');
    await cache.close();
  });

  it('memoize: tags as an array or a function of the arguments; invalidating one tag recomputes only its results', async () => {
    const cache = new Cache({ logger: quiet });
    const runs: number[] = [];
    const product = cache.memoize(async (id: number) => {
      runs.push(id);
      return { id, price: id * 10 };
    }, { name: 'tags.product', tags: (id) => [`product:${id}`] });
    const catalogue = cache.memoize(async () => {
      runs.push(0);
      return 'catalogue';
    }, { name: 'tags.catalogue', tags: ['catalogue'] });
    await product(7);
    await product(8);
    await catalogue();
    assert.deepEqual(await product(7), { id: 7, price: 70 });
    assert.deepEqual(runs, [7, 8, 0]);
    await cache.invalidateTags(['product:7']);
    await product(7);
    await product(8);
    await catalogue();
    assert.deepEqual(runs, [7, 8, 0, 7]);
    await cache.invalidateTags(['catalogue']);
    await catalogue();
    assert.deepEqual(runs, [7, 8, 0, 7, 0]);
    await cache.close();
  });

  it('the @memoize({ tags }) decorator (TC39 standard) takes tags from the method arguments', async () => {
    const cache = new Cache({ logger: quiet });
    class Stock {
      calls = 0;
      @memoize({ cache, name: 'tags.Stock.level', tags: (item: string) => [`item:${item}`] })
      async level(item: string): Promise<string> {
        this.calls++;
        return `${item}: ${this.calls}`;
      }
    }
    const stock = new Stock();
    assert.equal(await stock.level('pen'), 'pen: 1');
    assert.equal(await stock.level('pen'), 'pen: 1');
    assert.equal(await stock.level('ink'), 'ink: 2');
    await cache.invalidateTags(['item:pen']);
    assert.equal(await stock.level('pen'), 'pen: 3');
    assert.equal(await stock.level('ink'), 'ink: 2');
    await cache.close();
  });

  it('values without tags are stored as they were (Python interop); a tagged one in the stamped envelope', async () => {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend, logger: quiet });
    await cache.set('plain', 'text');
    await cache.set('tagged', 'text', { tags: ['t'] });
    assert.deepEqual({ flags: backend.getSync('plain')!.flags, value: backend.getSync('plain')!.value.toString() }, { flags: Flags.TEXT, value: 'text' });
    assert.equal(backend.getSync('tagged')!.flags, Flags.STAMPED);
    assert.ok(backend.getSync('larder-tag:t') !== undefined, 'the tag counter lives at larder-tag: + tag');
    await cache.close();
  });

  it('a tag counter lost (evicted, deleted) makes its values misses; the next write starts it afresh; invalidating an absent one creates nothing', async () => {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend, logger: quiet });
    await cache.set('k', 'v', { tags: ['t'] });
    assert.equal(await backend.delete('larder-tag:t'), true);
    assert.equal(await cache.get('k'), undefined);
    assert.equal(await cache.invalidateTags(['t', 'never-used']), true);
    assert.equal(backend.getSync('larder-tag:never-used'), undefined, 'no counter made for a tag no value carries');
    await cache.set('k', 'w', { tags: ['t'] });
    assert.equal(await cache.get('k'), 'w');
    await cache.close();
  });

  it('repeated tags count once; 31 distinct tags fit (32 with a namespace), 32 do not', async () => {
    const cache = new Cache({ logger: quiet });
    const many = Array.from({ length: MAX_TAGS }, (_, i) => `tag-${i}`);
    assert.equal(MAX_TAGS, 31);
    assert.equal(await cache.set('many', 'v', { tags: [...many, ...many] }), true);
    assert.equal(await cache.get('many'), 'v');
    await cache.invalidateTags([many[30]!]);
    assert.equal(await cache.get('many'), undefined, 'the last of 31 tags counts');
    const ns = cache.namespace('n');
    assert.equal(await ns.set('many', 'v', { tags: many }), true, '31 tags and the namespace: 32 stamps');
    assert.equal(await ns.get('many'), 'v');
    await assert.rejects(cache.set('k', 'v', { tags: [...many, 'one more'] }), { code: 'E_INVALID_ARGUMENT', message: /at most 31 distinct tags/ });
    await assert.rejects(cache.getOrSet('k', () => 'v', { tags: [...many, 'one more'] }), { code: 'E_INVALID_ARGUMENT' });
    assert.equal(await cache.invalidateTags([...many, 'one more']), true, 'an invalidation may name any number of tags');
    await cache.close();
  });

  it('bad tags are E_INVALID_ARGUMENT naming the problem, never the tag', async () => {
    const cache = new Cache({ logger: quiet });
    const secret = 'user:ada@example.com';
    const huge = `${secret} `.repeat(100_000);
    const cases: Array<[unknown, RegExp]> = [
      [[''], /non-empty/],
      [[secret, 7], /must be strings, got number at index 1/],
      [[null], /got null/],
      ['product:7', /must be an array/],
      [[huge], /tags are at most 250 characters, got 2100000 at index 0/],
      [[`${secret}${'x'.repeat(250)}`], /at most 250 characters/],
    ];
    for (const [tags, message] of cases) {
      for (const call of [
        () => cache.set('k', 'v', { tags: tags as string[] }),
        () => cache.write('k', 'v', { tags: tags as string[] }),
        () => cache.getOrSet('k', () => 'v', { tags: tags as string[] }),
        () => cache.namespace('n').set('k', 'v', { tags: tags as string[] }),
        () => cache.invalidateTags(tags as string[]),
      ]) {
        await assert.rejects(call(), (error: Error & { code?: string }) => {
          assert.equal(error.code, 'E_INVALID_ARGUMENT');
          assert.match(error.message, message);
          assert.ok(!error.message.includes('ada'), error.message);
          return true;
        });
      }
    }
    // memoize's tags are an option, checked where the function is wrapped: E_INVALID_OPTION, still never naming the tag.
    assert.throws(() => cache.memoize(async () => 1, { name: 'tags.bad', tags: [secret, ''] }), (error: Error & { code?: string }) => error.code === 'E_INVALID_OPTION' && /"tags"/.test(error.message) && !error.message.includes('ada'));
    const badPerCall = cache.memoize(async (n: number) => n, { name: 'tags.bad-per-call', tags: (n) => (n > 1 ? [''] : ['ok']) });
    assert.equal(await badPerCall(1), 1);
    await assert.rejects(badPerCall(2), { code: 'E_INVALID_ARGUMENT' });
    assert.equal(await cache.get('k'), undefined, 'nothing was written');
    await cache.close();
  });

  it('a key prefix so long that the safe-key step would hash the counter mark away is refused with a clear message', async () => {
    const cache = new Cache({ keyPrefix: 'p'.repeat(200), logger: quiet });
    const long = 'x'.repeat(60);
    await assert.rejects(cache.set('k', 'v', { tags: [long] }), { code: 'E_INVALID_ARGUMENT', message: /a tag and key prefix this long leave no readable counter key/ });
    await assert.rejects(cache.getOrSet('k', () => 'v', { tags: [long] }), { code: 'E_INVALID_ARGUMENT' });
    await assert.rejects(cache.invalidateTags([long]), { code: 'E_INVALID_ARGUMENT' });
    assert.equal(await cache.set('k', 'v', { tags: ['short'] }), true, 'a short tag still leaves its counter key readable');
    assert.equal(await cache.get('k'), 'v');
    assert.equal(await cache.invalidateTags(['short']), true);
    assert.equal(await cache.get('k'), undefined);
    await cache.close();
  });

  it('tagReadBackProblem says exactly when a hit names a tag otherwise than it was given', async () => {
    const cases: Array<[keyPrefix: string, tag: string, problem: RegExp | undefined]> = [
      ['', 'plain', undefined],
      ['shop:', 'user:abc', undefined],
      ['p'.repeat(200), 'x'.repeat(39), undefined],
      ['p'.repeat(200), 'x'.repeat(40), /is 251 characters, too long for memcached \(at most 250\)/],
      ['', 'catégorie', /must be printable ASCII without spaces/],
      ['my shop:', 'x', /must be printable ASCII without spaces/],
      ['', 'a:sha256:b', /must not contain :sha256:/],
      ['larder-tag:x:', 't', /keyPrefix must not contain "larder-tag:"/],
    ];
    for (const [keyPrefix, tag, expected] of cases) {
      const problem = tagReadBackProblem(keyPrefix, tag);
      if (expected === undefined) assert.equal(problem, undefined, `${keyPrefix} + ${tag}`);
      else assert.match(problem ?? '', expected);
      // What a read really names (a tag whose counter key is refused names nothing).
      const cache = new Cache({ keyPrefix, logger: quiet });
      const named = await cache.set('k', 'v', { tags: [tag] }).then(
        async () => {
          const read = await cache.read('k');
          return read.status === 'hit' ? read.versions?.tags : undefined;
        },
        () => undefined,
      );
      assert.equal(isDeepStrictEqual(named, [tag]), problem === undefined, `${keyPrefix} + ${tag}: a read names ${String(named)}`);
      await cache.close();
    }
  });

  it('tags that memcached could not take as keys (spaces, non-ASCII, long) get a hashed counter key of their own', async () => {
    const cache = new Cache({ logger: quiet });
    const tags = ['catégorie: été', 'catégorie: hiver', 'x'.repeat(250), `${'x'.repeat(249)}y`];
    for (const [i, tag] of tags.entries()) await cache.set(`k${i}`, i, { tags: [tag] });
    await cache.invalidateTags([tags[0]!, tags[2]!]);
    assert.deepEqual(await cache.getMany(['k0', 'k1', 'k2', 'k3']), { k1: 1, k3: 3 });
    await cache.close();
  });

  it('a forged stamp with a tag counter key is checked like any; one naming neither mark is unreadable', async () => {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend, logger: quiet });
    const errors: CacheErrorEvent[] = [];
    cache.on('error', (event) => errors.push(event));
    const envelope = (stampKey: string, version: string) =>
      Buffer.concat([Buffer.from([1, 1, stampKey.length]), Buffer.from(stampKey), Buffer.from([version.length]), Buffer.from(version), Buffer.from([0, 0, 0, Flags.TEXT]), Buffer.from('hi')]);
    await backend.set('larder-tag:x', { value: Buffer.from('41'), flags: 0 }, 0);
    await backend.set('k', { value: envelope('larder-tag:x', '41'), flags: Flags.STAMPED }, 0);
    assert.equal(await cache.get('k'), 'hi', 'a stamp written by another client in the documented form is read');
    await backend.set('k', { value: envelope('larder-tag:x', '40'), flags: Flags.STAMPED }, 0);
    assert.equal(await cache.get('k'), undefined);
    assert.equal(errors.length, 0);
    await backend.set('k', { value: envelope('larder-tags-x', '41'), flags: Flags.STAMPED }, 0);
    assert.equal(await cache.get('k'), undefined);
    assert.equal(errors.length, 1);
    assert.equal((errors[0]!.error as Error & { code?: string }).code, 'E_DESERIALIZE');
    await cache.close();
  });
});
