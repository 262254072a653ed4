import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { viewKey } from '../view-key.js';
import { plain, realWait, type ConformanceResponse, type SuiteContext } from './conformance-kit.js';

/** The strong ETag the cache gives a stored body (see capture.ts), to tell it from one the framework made. */
function strongEtagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** `tag` with its weakness flipped (`"x"` <-> `W/"x"`): the same tag under weak comparison. */
function flipWeakness(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : `W/${tag}`;
}

/** Asserts a 304 from the cache: no body, the handler not run, the validators and Cache-Control of the page it stands for. */
function assertNotModified(response: ConformanceResponse, page: ConformanceResponse): void {
  assert.equal(response.status, 304);
  assert.equal(response.body.length, 0);
  assert.equal(response.headers['x-cache'], 'HIT');
  assert.equal(response.headers.etag, page.headers.etag);
  assert.equal(response.headers['last-modified'], page.headers['last-modified']);
  assert.equal(response.headers['cache-control'], page.headers['cache-control']);
}

/** ETag, conditional requests (304), HEAD, and the Cache-Control and Age the cache sends. */
export function validatorConformance(ctx: SuiteContext): void {
  const TAGGED = 'the same page on both routes';
  const etagged = ctx.route('/etag/on', {}, () => plain(TAGGED));
  const untagged = ctx.route('/etag/off', { etag: false }, () => plain(TAGGED));
  const ownTag = ctx.route('/etag/own', {}, (_request, calls) => plain(`own call ${calls}`, { etag: '"v1"' }));
  const cond = ctx.route('/cond/:id', { ttl: 60, cacheControl: true }, (request, calls) => plain(`conditional ${request.params.id} call ${calls}`));
  const head = ctx.route('/head/:id', {}, (request, calls) => plain(`head ${request.params.id} call ${calls} ${'x'.repeat(100)}`));
  const condMissTag = ctx.route('/cond-miss/etag', {}, (_request, calls) => plain(`conditional miss call ${calls}`, { etag: '"m1"' }));
  const condMissDate = ctx.route('/cond-miss/date', {}, (_request, calls) => plain(`conditional miss call ${calls}`, { 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT' }));
  const ccDefault = ctx.route('/cc/default', { ttl: 60, cacheControl: true }, () => plain('cc default'));
  const ccShared = ctx.route('/cc/shared', { ttl: 60, cacheControl: { sMaxAge: 600 } }, () => plain('cc shared'));
  const ccOwn = ctx.route('/cc/own', { ttl: 60, cacheControl: true }, () => plain('cc own', { 'cache-control': 'public, max-age=5' }));
  const ccAge = ctx.route('/cc/age', { ttl: 60, cacheControl: true }, () => plain('cc age'));

  /** A page of `/cond/<id>` stored (miss) and served once (hit); returns the hit. */
  const primed = async (id: string): Promise<ConformanceResponse> => {
    const path = `/cond/${id}`;
    assert.equal((await ctx.get(path)).headers['x-cache'], 'MISS');
    const hit = await ctx.get(path);
    assert.equal(hit.headers['x-cache'], 'HIT');
    assert.equal(typeof hit.headers.etag, 'string', 'a stored page has an ETag');
    assert.equal(typeof hit.headers['last-modified'], 'string', 'a stored page has a Last-Modified');
    return hit;
  };

  describe('ETag', () => {
    it('hits carry one stable ETag: the framework\'s own where it makes one (etag: false shows it), else a strong one of the body', async () => {
      const framework = (await ctx.get(untagged)).headers.etag;
      const miss = await ctx.get(etagged);
      const hit1 = await ctx.get(etagged);
      const hit2 = await ctx.get(etagged);
      assert.equal(hit1.headers['x-cache'], 'HIT');
      const etag = hit1.headers.etag;
      assert.equal(typeof etag, 'string');
      assert.equal(hit2.headers.etag, etag);
      assert.equal(miss.headers.etag, etag, 'the miss that stored the page carries its ETag too');
      assert.equal(etag, framework ?? strongEtagOf(TAGGED));
      const offHit = await ctx.get(untagged);
      assert.equal(offHit.headers['x-cache'], 'HIT');
      assert.equal(offHit.headers.etag, framework, 'with etag: false the cache adds none');
      assert.equal(ctx.calls(etagged), 1);
    });

    it('the handler\'s own ETag is kept, and a request that sends it back gets a 304', async () => {
      const miss = await ctx.get(ownTag);
      const hit = await ctx.get(ownTag);
      assert.equal(miss.headers.etag, '"v1"');
      assert.equal(hit.headers.etag, '"v1"');
      const conditional = await ctx.get(ownTag, { 'if-none-match': '"v1"' });
      assertNotModified(conditional, hit);
      assert.equal(ctx.calls(ownTag), 1);
    });
  });

  describe('conditional requests', () => {
    it('If-None-Match with the ETag: 304 without a body, the handler not run, ETag, Last-Modified and Cache-Control sent', async () => {
      const before = ctx.calls(cond);
      const hit = await primed('match');
      assertNotModified(await ctx.get('/cond/match', { 'if-none-match': String(hit.headers.etag) }), hit);
      assertNotModified(await ctx.get('/cond/match', { 'if-none-match': `"other", ${String(hit.headers.etag)}` }), hit);
      assert.equal(ctx.calls(cond), before + 1);
    });

    it('If-None-Match: * gets a 304', async () => {
      const hit = await primed('star');
      assertNotModified(await ctx.get('/cond/star', { 'if-none-match': '*' }), hit);
    });

    it('a non-matching If-None-Match gets the page (200 with its body)', async () => {
      const hit = await primed('other');
      const response = await ctx.get('/cond/other', { 'if-none-match': '"not-this-one"' });
      assert.equal(response.status, 200);
      assert.equal(response.headers['x-cache'], 'HIT');
      assert.equal(response.text, hit.text);
    });

    it('If-None-Match uses weak comparison: W/"x" matches "x" and "x" matches W/"x"', async () => {
      const hit = await primed('weak');
      assertNotModified(await ctx.get('/cond/weak', { 'if-none-match': flipWeakness(String(hit.headers.etag)) }), hit);
    });

    it('If-Modified-Since at or after Last-Modified gets a 304; before it, the page', async () => {
      const hit = await primed('since');
      const modified = Date.parse(String(hit.headers['last-modified']));
      assertNotModified(await ctx.get('/cond/since', { 'if-modified-since': String(hit.headers['last-modified']) }), hit);
      assertNotModified(await ctx.get('/cond/since', { 'if-modified-since': new Date(modified + 3_600_000).toUTCString() }), hit);
      const earlier = await ctx.get('/cond/since', { 'if-modified-since': new Date(modified - 60_000).toUTCString() });
      assert.equal(earlier.status, 200);
      assert.equal(earlier.text, hit.text);
    });

    it('If-None-Match takes precedence over If-Modified-Since', async () => {
      const hit = await primed('precedence');
      const response = await ctx.get('/cond/precedence', { 'if-none-match': '"not-this-one"', 'if-modified-since': String(hit.headers['last-modified']) });
      assert.equal(response.status, 200);
      assert.equal(response.text, hit.text);
    });
  });

  describe('conditional requests that miss', () => {
    // The handler runs and what it made is stored and sent whole; 304s come from stored pages. (A
    // framework that answers the condition itself turns the page into a 304 with no body before
    // the cache sees it, and nothing is stored while clients keep revalidating.)
    for (const [what, path, headers] of [
      ['If-None-Match with the ETag the handler sets', condMissTag, { 'if-none-match': '"m1"' }],
      ['If-Modified-Since at the Last-Modified the handler sets', condMissDate, { 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' }],
    ] as const) {
      it(`a miss with ${what} runs the handler, answers the whole page and stores it`, async () => {
        const miss = await ctx.get(path, headers);
        assert.equal(miss.headers['x-cache'], 'MISS');
        assert.equal(miss.status, 200);
        assert.equal(miss.text, 'conditional miss call 1');
        const hit = await ctx.get(path);
        assert.equal(hit.headers['x-cache'], 'HIT');
        assert.equal(hit.status, 200);
        assert.equal(hit.text, 'conditional miss call 1');
        assert.equal((await ctx.get(path, headers)).status, 304, 'the stored page answers the condition');
        assert.equal(ctx.calls(path), 1);
      });
    }
  });

  describe('HEAD', () => {
    it('a HEAD is served from the GET\'s entry: HIT, no body, the Content-Length of the GET\'s body', async () => {
      const get = await ctx.get('/head/1');
      const response = await ctx.get('/head/1', {}, 'HEAD');
      assert.equal(response.status, 200);
      assert.equal(response.headers['x-cache'], 'HIT');
      assert.equal(response.body.length, 0);
      assert.equal(response.headers['content-length'], String(get.body.length));
      assert.equal(response.headers['content-type'], get.headers['content-type']);
      assert.equal(ctx.calls(head), 1);
    });

    it('a HEAD that misses stores no empty page: the GET after it gets the whole body', async () => {
      const response = await ctx.get('/head/2', {}, 'HEAD');
      assert.equal(response.status, 200);
      assert.equal(response.body.length, 0);
      const get = await ctx.get('/head/2');
      assert.equal(get.status, 200);
      assert.match(get.text, /^head 2 call \d+ x{100}$/);
      const hit = await ctx.get('/head/2');
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(hit.text, get.text);
      assert.equal(hit.headers['content-length'], String(get.body.length));
    });
  });

  describe('Cache-Control and Age', () => {
    it('cacheControl sends public, max-age=<ttl> with a stored page whose handler set none', async () => {
      const miss = await ctx.get(ccDefault);
      const hit = await ctx.get(ccDefault);
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(hit.headers['cache-control'], 'public, max-age=60');
      assert.equal(miss.headers['cache-control'], 'public, max-age=60');
    });

    it('cacheControl: { sMaxAge } adds s-maxage', async () => {
      await ctx.get(ccShared);
      assert.equal((await ctx.get(ccShared)).headers['cache-control'], 'public, max-age=60, s-maxage=600');
    });

    it('the handler\'s own Cache-Control is left as it set it', async () => {
      const miss = await ctx.get(ccOwn);
      const hit = await ctx.get(ccOwn);
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(miss.headers['cache-control'], 'public, max-age=5');
      assert.equal(hit.headers['cache-control'], 'public, max-age=5');
    });

    it('max-age minus Age is the time the entry has left (within 1 s), so a client\'s freshness ends with the entry', async () => {
      const started = Date.now();
      assert.equal((await ctx.get(ccAge)).headers['x-cache'], 'MISS');
      await ctx.stored(viewKey(ccAge));
      // Age counts whole seconds of real time: this one test has to let one pass.
      await realWait(1100);
      const hit = await ctx.get(ccAge);
      const elapsed = (Date.now() - started) / 1000;
      assert.equal(hit.headers['x-cache'], 'HIT');
      const age = Number(hit.headers.age);
      assert.ok(Number.isInteger(age) && age >= 1, `Age after a second: ${String(hit.headers.age)}`);
      const maxAge = Number(/max-age=(\d+)/.exec(String(hit.headers['cache-control']))?.[1]);
      assert.ok(Math.abs(maxAge - age - (60 - elapsed)) <= 1, `max-age ${maxAge} - Age ${age} vs ${60 - elapsed} s left`);
      const left = await ctx.conformance.remainingTtl?.(ctx.cache.backendKey(viewKey(ccAge)));
      // The store's own count: memcached's clock ticks in whole seconds, so its answer can be a second further off.
      if (left !== undefined) assert.ok(Math.abs(maxAge - age - left) <= 2, `max-age ${maxAge} - Age ${age} vs the store's ${left} s`);
    });
  });
}
