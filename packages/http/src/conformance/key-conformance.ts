import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { viewKey } from '../view-key.js';
import { plain, type SuiteContext } from './conformance-kit.js';

/** Flask-Caching's keys as the apps store them: query strings, path spellings, and deleting a key. */
export function keyConformance(ctx: SuiteContext): void {
  const query = ctx.route('/qs', { queryString: true }, (request, calls) => plain(`query ${request.url} call ${calls}`));
  const repeated = ctx.route('/qs-repeated', { queryString: true }, (request, calls) => plain(`query ${request.url} call ${calls}`));
  const noQuery = ctx.route('/no-qs', {}, (request, calls) => plain(`query ${request.url} call ${calls}`));
  const word = ctx.route('/word/:word', {}, (request, calls) => plain(`word ${request.params.word} call ${calls}`));
  const rest = ctx.route('/rest/*', {}, (request, calls) => plain(`rest ${request.url} call ${calls}`));
  const deleted = ctx.route('/deleted/:id', {}, (request, calls) => plain(`deleted ${request.params.id} call ${calls}`));

  describe('keys', () => {
    it('with queryString, reordered arguments share an entry, other values do not, and the key is viewKey(path, query)', async () => {
      assert.equal((await ctx.get('/qs?b=2&a=1')).headers['x-cache'], 'MISS');
      const reordered = await ctx.get('/qs?a=1&b=2');
      assert.equal(reordered.headers['x-cache'], 'HIT');
      assert.equal(reordered.text, 'query /qs?b=2&a=1 call 1');
      assert.equal((await ctx.get('/qs?a=1&b=3')).headers['x-cache'], 'MISS');
      assert.equal(ctx.calls(query), 2);
      await ctx.stored(viewKey(query, 'a=1&b=2'));
      await ctx.stored(viewKey(query, { b: '3', a: '1' }));
      assert.equal(await ctx.cache.get(viewKey(query)), undefined, 'nothing at the key without the query');
    });

    it("with queryString, a repeated name's values in another order are another entry (the handler sees them in the order received)", async () => {
      assert.equal((await ctx.get('/qs-repeated?a=EVIL&a=1')).headers['x-cache'], 'MISS');
      const swapped = await ctx.get('/qs-repeated?a=1&a=EVIL');
      assert.equal(swapped.headers['x-cache'], 'MISS');
      assert.equal(swapped.text, 'query /qs-repeated?a=1&a=EVIL call 2');
      const again = await ctx.get('/qs-repeated?a=EVIL&a=1');
      assert.equal(again.headers['x-cache'], 'HIT');
      assert.equal(again.text, 'query /qs-repeated?a=EVIL&a=1 call 1');
      const other = await ctx.get('/qs-repeated?b=2&a=1&a=EVIL');
      assert.equal(other.headers['x-cache'], 'MISS', 'another argument: another entry');
      assert.equal((await ctx.get('/qs-repeated?a=1&b=2&a=EVIL')).text, 'query /qs-repeated?b=2&a=1&a=EVIL call 3', 'other names still sort');
      assert.equal(ctx.calls(repeated), 3);
      // Express 4's query parser (qs) merges a and a[] into one array, in the order received.
      assert.equal((await ctx.get('/qs-repeated?a=EVIL&a[]=1')).headers['x-cache'], 'MISS');
      const bracketed = await ctx.get('/qs-repeated?a[]=1&a=EVIL');
      assert.equal(bracketed.headers['x-cache'], 'MISS');
      assert.equal(bracketed.text, 'query /qs-repeated?a[]=1&a=EVIL call 5');
    });

    it('without queryString, every query string of a path shares one entry, at viewKey(path)', async () => {
      await ctx.get('/no-qs?x=1');
      const other = await ctx.get('/no-qs?y=2');
      const bare = await ctx.get('/no-qs');
      assert.equal(other.headers['x-cache'], 'HIT');
      assert.equal(bare.headers['x-cache'], 'HIT');
      assert.equal(bare.text, 'query /no-qs?x=1 call 1');
      assert.equal(ctx.calls(noQuery), 1);
      await ctx.stored(viewKey(noQuery));
    });

    it('percent-encoded UTF-8 (as a browser sends /café), in either case of hex, is one entry with the decoded path\'s key', async () => {
      const miss = await ctx.get('/word/caf%C3%A9');
      assert.equal(miss.headers['x-cache'], 'MISS');
      assert.equal(miss.text, 'word café call 1');
      const lower = await ctx.get('/word/caf%c3%a9');
      assert.equal(lower.headers['x-cache'], 'HIT');
      assert.equal(lower.text, miss.text);
      assert.equal(ctx.calls(word), 1);
      assert.equal(viewKey('/word/café'), viewKey('/word/caf%C3%A9'));
      await ctx.stored(viewKey('/word/café'));
    });

    it('%2F is not a path separator: /rest/a%2Fb and /rest/a/b are two entries', async () => {
      const encoded = await ctx.get('/rest/a%2Fb');
      const plainPath = await ctx.get('/rest/a/b');
      assert.equal(encoded.headers['x-cache'], 'MISS');
      assert.equal(plainPath.headers['x-cache'], 'MISS');
      assert.equal(ctx.calls(rest), 2);
      const encodedHit = await ctx.get('/rest/a%2Fb');
      const plainHit = await ctx.get('/rest/a/b');
      assert.equal(encodedHit.headers['x-cache'], 'HIT');
      assert.equal(encodedHit.text, encoded.text);
      assert.equal(plainHit.headers['x-cache'], 'HIT');
      assert.equal(plainHit.text, plainPath.text);
      assert.notEqual(viewKey('/rest/a%2Fb'), viewKey('/rest/a/b'));
      await ctx.stored(viewKey('/rest/a%2Fb'));
      await ctx.stored(viewKey('/rest/a/b'));
      assert.equal(ctx.calls(rest), 2);
    });

    it('cache.delete(viewKey(path)) makes the next request a miss', async () => {
      await ctx.get('/deleted/1');
      assert.equal((await ctx.get('/deleted/1')).headers['x-cache'], 'HIT');
      await ctx.stored(viewKey('/deleted/1'));
      assert.equal(await ctx.cache.delete(viewKey('/deleted/1')), true);
      const again = await ctx.get('/deleted/1');
      assert.equal(again.headers['x-cache'], 'MISS');
      assert.equal(again.text, 'deleted 1 call 2');
      assert.equal(ctx.calls(deleted), 2);
    });
  });
}
