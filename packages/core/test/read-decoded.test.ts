import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { suiteBackends, suiteCache } from '../src/conformance.js';
import { DecodeMemo, type Cache } from '../src/index.js';

for (const backend of suiteBackends(() => MemcachedServer.start())) {
  const { name } = backend;
  describe(`readDecoded on ${name}: the typed decode memo`, () => {
    let cache: Cache;
    suiteCache(backend, (made) => (cache = made));

    it('decodes a stored item once, again after it is overwritten; misses are undefined and not decoded', async () => {
      let decodes = 0;
      const memo = new DecodeMemo((value) => (decodes++, { parsed: String(value).toUpperCase() }));
      await cache.set('page', 'hello');
      const first = await cache.readDecoded('page', memo);
      assert.deepEqual(first, { parsed: 'HELLO' });
      assert.equal(await cache.readDecoded('page', memo), first, 'the same result object: not decoded again');
      assert.equal(decodes, 1);
      await cache.set('page', 'changed');
      assert.deepEqual(await cache.readDecoded('page', memo), { parsed: 'CHANGED' });
      assert.equal(decodes, 2);
      assert.equal(await cache.readDecoded('absent', memo), undefined);
      assert.equal(decodes, 2);
      const stats = cache.stats();
      assert.ok(stats.hits >= 3 && stats.misses >= 1, 'counted as get counts');
    });

    it('is bounded in bytes and never holds an item over maxEntryBytes', async () => {
      const memo = new DecodeMemo((value) => value, { maxBytes: 32 * 1024, maxEntryBytes: 8 * 1024 });
      for (let n = 0; n < 50; n++) {
        await cache.set(`bounded:${n}`, 'a'.repeat(2_000));
        assert.equal(await cache.readDecoded(`bounded:${n}`, memo), 'a'.repeat(2_000));
        assert.ok(memo.bytes <= 32 * 1024);
      }
      const before = memo.bytes;
      await cache.set('bounded:big', 'b'.repeat(40_000));
      assert.equal(await cache.readDecoded('bounded:big', memo), 'b'.repeat(40_000));
      assert.equal(memo.bytes, before, 'a compressed large value is counted by what it decodes to');
    });
  });
}

