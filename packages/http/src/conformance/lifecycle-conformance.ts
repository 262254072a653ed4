import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { viewKey } from '../view-key.js';
import { plain, type SuiteContext } from './conformance-kit.js';

const CONCURRENT = 50;

/** Single-flight, ttl expiry, and tags (invalidation and Surrogate-Key). */
export function lifecycleConformance(ctx: SuiteContext): void {
  // The handler of /flight is held until every request of the burst has reached the cache: `unless`
  // runs in the engine for each request before its lookup, so it counts arrivals (an event, not a
  // guess of how long 50 connections take). The short delay after the last one lets the requests
  // whose first cache read is still in flight (memcached) finish it while the leader still runs.
  let arrivals = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const flight = ctx.route('/flight', {
    unless: () => {
      if (++arrivals === CONCURRENT) setTimeout(release, 50);
      return false;
    },
  }, async (_request, calls) => {
    await gate;
    return plain(`flight call ${calls}`);
  });
  const ttl = ctx.route('/ttl', { ttl: 1 }, (_request, calls) => plain(`ttl call ${calls}`));
  const tagged = ctx.route('/tagged/7', { tags: () => ['product:7'] }, (_request, calls) => plain(`product 7 call ${calls}`));
  const otherTag = ctx.route('/tagged/8', { tags: () => ['product:8'] }, (_request, calls) => plain(`product 8 call ${calls}`));
  const softened = ctx.route('/softened/7', { tags: () => ['soft:7'] }, (_request, calls) => plain(`soft 7 call ${calls}`));
  const surrogate = ctx.route('/surrogate/7', { tags: () => ['product:7', 'catalogue'], surrogateKeys: true }, (_request, calls) => plain(`surrogate call ${calls}`));

  describe('recomputation', () => {
    it(`${CONCURRENT} concurrent requests for a cold page run the handler once`, async () => {
      // Bounded: if fewer requests reach the cache than sent, the handler is let go and the test fails on its counts.
      const timer = setTimeout(release, 5000);
      try {
        const responses = await Promise.all(Array.from({ length: CONCURRENT }, () => ctx.get(flight)));
        assert.equal(arrivals, CONCURRENT);
        assert.deepEqual(new Set(responses.map((response) => `${response.status} ${response.text}`)), new Set(['200 flight call 1']));
        assert.equal(responses.filter((response) => response.headers['x-cache'] === 'MISS').length, 1);
        assert.equal(responses.filter((response) => response.headers['x-cache'] === 'HIT').length, CONCURRENT - 1);
        assert.equal(ctx.calls(flight), 1);
      } finally {
        clearTimeout(timer);
      }
    });

    it('a page expires with its ttl: the request after it is a miss', async () => {
      assert.equal((await ctx.get(ttl)).headers['x-cache'], 'MISS');
      // memcached's clock ticks in whole seconds, so a 1 s entry there may go at any moment: hit only on a fake clock.
      if (ctx.conformance.fakeClock) assert.equal((await ctx.get(ttl)).headers['x-cache'], 'HIT');
      await ctx.conformance.advance(2);
      const after = await ctx.get(ttl);
      assert.equal(after.headers['x-cache'], 'MISS');
      assert.equal(after.text, 'ttl call 2');
      assert.equal(ctx.calls(ttl), 2);
    });
  });

  describe('tags', () => {
    it('cache.invalidateTags([tag]) makes the pages with that tag a miss; pages with another tag stay hits', async () => {
      await ctx.get(tagged);
      await ctx.get(otherTag);
      await ctx.stored(viewKey(tagged));
      await ctx.stored(viewKey(otherTag));
      assert.equal((await ctx.get(tagged)).headers['x-cache'], 'HIT');
      assert.equal((await ctx.get(otherTag)).headers['x-cache'], 'HIT');
      await ctx.cache.invalidateTags(['product:7']);
      const invalidated = await ctx.get(tagged);
      assert.equal(invalidated.headers['x-cache'], 'MISS');
      assert.equal(invalidated.text, 'product 7 call 2');
      const kept = await ctx.get(otherTag);
      assert.equal(kept.headers['x-cache'], 'HIT');
      assert.equal(kept.text, 'product 8 call 1');
      await ctx.stored(viewKey(tagged));
      assert.equal((await ctx.get(tagged)).headers['x-cache'], 'HIT', 'the page stored again after the invalidation is a hit');
    });

    it('cache.invalidateTags([tag], { soft: true }) makes the pages stale: answered STALE under its grace while one refresh runs, then HIT', async () => {
      await ctx.get(softened);
      await ctx.stored(viewKey(softened));
      assert.equal((await ctx.get(softened)).headers['x-cache'], 'HIT');
      assert.equal(await ctx.cache.invalidateTags(['soft:7'], { soft: true, grace: 60 }), true);
      const first = await ctx.get(softened);
      assert.equal(`${first.headers['x-cache']} ${first.text}`, 'STALE soft 7 call 1', 'the page of a softened tag is served stale, not a miss');
      // Requests while the refresh runs get the stale page; once it landed, the new one.
      const burst = await Promise.all(Array.from({ length: 5 }, () => ctx.get(softened)));
      for (const response of burst) assert.match(`${response.headers['x-cache']} ${response.text}`, /^(STALE soft 7 call 1|HIT soft 7 call 2)$/);
      let next = first;
      for (let i = 0; i < 100 && next.headers['x-cache'] !== 'HIT'; i++) next = await ctx.get(softened);
      assert.equal(`${next.headers['x-cache']} ${next.text}`, 'HIT soft 7 call 2');
      assert.equal(ctx.calls(softened), 2, 'one refresh');
    });

    it('surrogateKeys sends the page\'s tags in Surrogate-Key, on the miss and on hits; a route without it sends none', async () => {
      const miss = await ctx.get(surrogate);
      // A tagged write reads the tags' counters first: on memcached it can land after the response.
      await ctx.stored(viewKey(surrogate));
      const hit = await ctx.get(surrogate);
      assert.equal(miss.headers['x-cache'], 'MISS');
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(miss.headers['surrogate-key'], 'product:7 catalogue');
      assert.equal(hit.headers['surrogate-key'], 'product:7 catalogue');
      assert.equal((await ctx.get(otherTag)).headers['surrogate-key'], undefined);
    });
  });
}
