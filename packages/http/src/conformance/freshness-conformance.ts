import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResponseCacheSettings } from '../cache-rule.js';
import { viewKey } from '../view-key.js';
import { plain, type ConformanceResponse, type SuiteContext } from './conformance-kit.js';

const RESPONSE: ResponseCacheSettings<unknown> = { freshness: 'response' };
const LONG_AGO = 'Mon, 01 Jan 2024 00:00:00 GMT';

/**
 * `freshness: 'response'` (RFC 9111 for a shared cache): what the response's Cache-Control,
 * Expires and Age say decides what is stored and for how long, and a stale response with a
 * validator is revalidated with a conditional request whose 304 updates it. Staleness comes from
 * the response (`max-age=0`, an `Age` past its lifetime), never from waiting.
 */
export function freshnessConformance(ctx: SuiteContext): void {
  /** A route whose handler answers `headers` (with its call count in the body). */
  const answering = (path: string, headers: Record<string, string>, settings: ResponseCacheSettings<unknown> = RESPONSE) =>
    ctx.route(path, settings, (_request, calls) => plain(`${path} call ${calls}`, headers));

  const maxAge = answering('/rfc/max-age', { 'cache-control': 'max-age=60' });
  const sMaxAge = answering('/rfc/s-maxage', { 'cache-control': 'max-age=60, s-maxage=0' });
  const aged = answering('/rfc/aged', { 'cache-control': 'max-age=60', age: '61' });
  const badAge = answering('/rfc/bad-age', { 'cache-control': 'max-age=60', age: '1, 2' });
  const ageCarried = answering('/rfc/age-carried', { 'cache-control': 'max-age=600', age: '30' });
  const expires = answering('/rfc/expires', { date: new Date().toUTCString(), expires: new Date(Date.now() + 3600_000).toUTCString() });
  const expired = answering('/rfc/expired', { expires: LONG_AGO });
  const none = answering('/rfc/none', { 'last-modified': LONG_AGO });
  const heuristic = answering('/rfc/heuristic', { 'last-modified': LONG_AGO }, { freshness: 'response', heuristic: true });
  const privateOne = answering('/rfc/private', { 'cache-control': 'private, max-age=60' });
  const noStore = answering('/rfc/no-store', { 'cache-control': 'no-store, max-age=60' });
  const ttlRoute = answering('/rfc/ttl-mode', { 'cache-control': 'no-cache' }, { ttl: 60 });
  const status404 = ctx.route('/rfc/404', RESPONSE, (_request, calls) => plain(`missing call ${calls}`, { 'cache-control': 'max-age=60' }, 404));

  const authorized = { freshness: 'response', shareAuthorized: true } as const;
  const authPlain = answering('/rfc/auth/plain', { 'cache-control': 'max-age=60' }, authorized);
  const authPublic = answering('/rfc/auth/public', { 'cache-control': 'public, max-age=60' }, authorized);

  // Revalidation: the handler counts full renders and 304s; its ETag is "v1" throughout.
  const counts = { full: 0, notModified: 0 };
  const revalidated = ctx.route('/rfc/revalidate', RESPONSE, (request) => {
    if (request.headers['if-none-match'] === '"v1"') {
      counts.notModified++;
      return { status: 304, headers: { etag: '"v1"', 'cache-control': 'max-age=60', 'x-version': 'b' }, body: '' };
    }
    counts.full++;
    return plain(`full render ${counts.full}`, { etag: '"v1"', 'cache-control': 'max-age=0', 'x-version': 'a' });
  });
  const lmCounts = { full: 0, notModified: 0 };
  const noCache = ctx.route('/rfc/no-cache', RESPONSE, (request) => {
    if (request.headers['if-modified-since'] === LONG_AGO) {
      lmCounts.notModified++;
      return { status: 304, headers: { 'last-modified': LONG_AGO }, body: '' };
    }
    lmCounts.full++;
    return plain(`no-cache render ${lmCounts.full}`, { 'last-modified': LONG_AGO, 'cache-control': 'no-cache, max-age=600' });
  });
  const changed = ctx.route('/rfc/changed', RESPONSE, (_request, calls) => plain(`version ${calls}`, { etag: `"c${calls}"`, 'cache-control': 'max-age=0' }));
  const swr = ctx.route('/rfc/swr', RESPONSE, (_request, calls) => plain(`swr call ${calls}`, { 'cache-control': 'max-age=0, stale-while-revalidate=60', etag: `"s${calls}"` }));
  const mustRevalidate = ctx.route('/rfc/must-revalidate', RESPONSE, (_request, calls) => plain(`mr call ${calls}`, { 'cache-control': 'max-age=0, must-revalidate, stale-while-revalidate=60', etag: `"m${calls}"` }));
  const sie = ctx.route('/rfc/stale-if-error', RESPONSE, (_request, calls) =>
    calls === 1 ? plain('sie good', { 'cache-control': 'max-age=0, stale-if-error=60' }) : plain('sie failing', {}, 503),
  );

  /** Two requests to `path`, the second after the first was stored when `stored` (else right away: refusals are decided before the response is sent). */
  const twice = async (path: string, stored: boolean): Promise<[ConformanceResponse, ConformanceResponse]> => {
    const first = await ctx.get(path);
    if (stored) await ctx.stored(viewKey(path));
    return [first, await ctx.get(path)];
  };

  describe("freshness: 'response'", () => {
    it('a response fresh by max-age is served from the cache, with its Date as sent and Age', async () => {
      const [miss, hit] = await twice(maxAge, true);
      assert.equal(miss.headers['x-cache'], 'MISS');
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(hit.text, `${maxAge} call 1`);
      assert.equal(hit.headers.date, miss.headers.date);
      assert.equal(typeof hit.headers.age, 'string');
      assert.equal(ctx.calls(maxAge), 1);
      // A request's own Cache-Control does not make a shared cache run the handler.
      assert.equal((await ctx.get(maxAge, { 'cache-control': 'no-cache' })).headers['x-cache'], 'HIT');
      assert.equal(ctx.calls(maxAge), 1);
    });

    it('with shareAuthorized, a response to a request with Authorization is stored only with public, s-maxage or must-revalidate', async () => {
      const auth = { authorization: 'Bearer conformance' };
      await ctx.get(authPlain, auth);
      assert.equal((await ctx.get(authPlain, auth)).headers['x-cache'], 'MISS');
      await ctx.get(authPublic, auth);
      await ctx.stored(viewKey(authPublic));
      assert.equal((await ctx.get(authPublic, auth)).headers['x-cache'], 'HIT');
    });

    // The framework's own ETag (Express makes one) is a validator: such a response is stored, to be
    // revalidated. Either way the stale copy never answers: the handler runs again.
    it('s-maxage wins over max-age; an Age past the lifetime, or one that does not parse, is stale: the handler runs again', async () => {
      for (const path of [sMaxAge, aged, badAge]) {
        const [, second] = await twice(path, false);
        assert.equal(second.text, `${path} call 2`, path);
        assert.equal(ctx.calls(path), 2, path);
      }
    });

    it('a hit counts the Age the response arrived with', async () => {
      const [, hit] = await twice(ageCarried, true);
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.ok(Number(hit.headers.age) >= 30, `age ${hit.headers.age}`);
    });

    it('Expires after Date makes it fresh; an Expires in the past is stale; no explicit freshness is not stored', async () => {
      const [, hit] = await twice(expires, true);
      assert.equal(hit.headers['x-cache'], 'HIT');
      const [, again] = await twice(expired, false);
      assert.equal(again.text, `${expired} call 2`);
      const [, second] = await twice(none, false);
      assert.equal(second.headers['x-cache'], 'MISS');
      assert.equal(ctx.calls(none), 2);
    });

    it('heuristic freshness (10% of the time since Last-Modified) only when the route asks for it', async () => {
      const [, hit] = await twice(heuristic, true);
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(ctx.calls(heuristic), 1);
    });

    it('private and no-store are never stored by a shared cache', async () => {
      for (const path of [privateOne, noStore]) {
        const [, second] = await twice(path, false);
        assert.equal(second.headers['x-cache'], 'MISS', path);
        assert.equal(ctx.calls(path), 2, path);
      }
    });

    it('any status with explicit freshness is stored (a 404 here); ttl mode stays as it was (no-cache not stored)', async () => {
      const [, hit] = await twice(status404, true);
      assert.equal(hit.status, 404);
      assert.equal(hit.headers['x-cache'], 'HIT');
      const [, again] = await twice(ttlRoute, false);
      assert.equal(again.headers['x-cache'], 'MISS');
    });

    it('a stale response with an ETag is revalidated: the 304 updates its headers, the body is the stored one, and it is fresh again', async () => {
      const [first] = await twice(revalidated, true);
      assert.equal(first.headers['x-version'], 'a');
      const second = await ctx.get(revalidated);
      assert.equal(second.status, 200);
      assert.equal(second.text, 'full render 1');
      assert.equal(second.headers['x-version'], 'b');
      assert.equal(second.headers['cache-control'], 'max-age=60');
      assert.deepEqual(counts, { full: 1, notModified: 1 });
      // The update is fresh for 60 s: the next request is a hit that runs nothing.
      const third = await ctx.get(revalidated);
      assert.equal(third.headers['x-cache'], 'HIT');
      assert.equal(third.headers['x-version'], 'b');
      assert.deepEqual(counts, { full: 1, notModified: 1 });
      // A client's own condition is answered by the cache.
      const conditional = await ctx.get(revalidated, { 'if-none-match': '"v1"' });
      assert.equal(conditional.status, 304);
      assert.deepEqual(counts, { full: 1, notModified: 1 });
    });

    it('no-cache is stored but revalidated on every use (If-Modified-Since with its Last-Modified)', async () => {
      await twice(noCache, true);
      const third = await ctx.get(noCache);
      assert.equal(third.text, 'no-cache render 1');
      assert.deepEqual(lmCounts, { full: 1, notModified: 2 });
    });

    it('a revalidation answered with a new response stores and serves that one', async () => {
      await twice(changed, true);
      const third = await ctx.get(changed);
      assert.equal(third.text, 'version 3');
      assert.equal(ctx.calls(changed), 3);
    });

    it('stale-while-revalidate serves the stale response while one refresh runs; must-revalidate forbids it', async () => {
      await ctx.get(swr);
      await ctx.stored(viewKey(swr));
      const stale = await ctx.get(swr);
      assert.equal(stale.headers['x-cache'], 'STALE');
      assert.equal(stale.text, 'swr call 1');
      await ctx.get(mustRevalidate);
      await ctx.stored(viewKey(mustRevalidate));
      const revalidatedFirst = await ctx.get(mustRevalidate);
      assert.notEqual(revalidatedFirst.headers['x-cache'], 'STALE');
      assert.equal(revalidatedFirst.text, 'mr call 2');
    });

    it('stale-if-error serves the stale response when its refresh answers 503', async () => {
      await ctx.get(sie);
      await ctx.stored(viewKey(sie));
      const second = await ctx.get(sie);
      assert.equal(second.status, 200);
      assert.equal(second.text, 'sie good');
      assert.equal(second.headers['x-cache'], 'STALE');
      assert.equal(ctx.calls(sie), 2);
    });
  });
}
