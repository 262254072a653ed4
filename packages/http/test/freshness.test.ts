import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_RECOMPUTE } from '@larder/core';
import { ageSeconds, cacheControl, httpDate, isNotStorable, responseFreshness, type ResponseFreshness } from '../src/freshness.js';
import { freshnessAction, storageTimes, toStoredFreshness, withinStaleIfError, currentAge } from '../src/stored-freshness.js';
import { selects, updatedHeaders, validatingHeaders } from '../src/revalidation.js';
import { toCacheRule } from '../src/cache-rule.js';
import { ViewStatsTable } from '../src/route-stats.js';
import { decodeStoredView, encodeResponse, MalformedView, type CachedResponse } from '../src/stored-view.js';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const lookup = (headers: Record<string, string | string[]>) => (name: string) => headers[name];
const judge = (headers: Record<string, string | string[]>, status = 200, options = {}) => responseFreshness(status, lookup(headers), NOW, options);
const fresh = (headers: Record<string, string | string[]>, status = 200, options = {}): ResponseFreshness => {
  const judged = judge(headers, status, options);
  if (isNotStorable(judged)) assert.fail(`not storable: ${judged.notStorable}`);
  return judged;
};
const refused = (headers: Record<string, string | string[]>, status = 200, options = {}): string => {
  const judged = judge(headers, status, options);
  if (!isNotStorable(judged)) assert.fail('storable');
  return judged.notStorable;
};
const date = (ms: number) => new Date(ms).toUTCString();

describe('Cache-Control parsing', () => {
  it('reads directives case-insensitively, values unquoted, first occurrence winning, commas inside quotes kept', () => {
    const cc = cacheControl('Public, MAX-AGE=60, foo="a, max-age=5", max-age=10, no-cache="set-cookie"');
    assert.equal(cc.get('public'), true);
    assert.equal(cc.get('max-age'), '60');
    assert.equal(cc.get('foo'), 'a, max-age=5');
    assert.equal(cc.get('no-cache'), 'set-cookie');
  });

  it('joins several header lines', () => {
    const cc = cacheControl(['max-age=60', 's-maxage=5']);
    assert.equal(cc.get('s-maxage'), '5');
  });
});

describe('responseFreshness', () => {
  it('s-maxage, then max-age, then Expires minus Date', () => {
    assert.equal(fresh({ 'cache-control': 'max-age=60, s-maxage=5' }).lifetimeMs, 5000);
    assert.equal(fresh({ 'cache-control': 'max-age=60' }).lifetimeMs, 60_000);
    assert.equal(fresh({ 'cache-control': 'max-age=003600' }).lifetimeMs, 3_600_000);
    assert.equal(fresh({ 'cache-control': 'max-age="60"' }).lifetimeMs, 60_000);
    assert.equal(fresh({ date: date(NOW - 10_000), expires: date(NOW + 50_000) }).lifetimeMs, 60_000);
    assert.equal(fresh({ 'cache-control': 'max-age=60', expires: date(NOW - 1000) }).lifetimeMs, 60_000);
  });

  it('s-maxage implies proxy-revalidate; must-revalidate and proxy-revalidate forbid stale use', () => {
    assert.equal(fresh({ 'cache-control': 's-maxage=5' }).mustRevalidate, true);
    assert.equal(fresh({ 'cache-control': 'max-age=5, proxy-revalidate' }).mustRevalidate, true);
    assert.equal(fresh({ 'cache-control': 'max-age=5, must-revalidate' }).mustRevalidate, true);
    assert.equal(fresh({ 'cache-control': 'max-age=5' }).mustRevalidate, false);
  });

  it('a negative, quoted or non-numeric max-age is stale at once (kept only with a validator)', () => {
    for (const value of ["max-age=-1", "max-age='60'", "max-age=1.5"]) {
      assert.match(refused({ 'cache-control': value }), /stale at once/, value);
      assert.equal(fresh({ 'cache-control': value, etag: '"a"' }).lifetimeMs, 0, value);
    }
  });

  it('an Expires that is not an HTTP-date is in the past', () => {
    assert.match(refused({ expires: '0' }), /stale at once/);
    assert.equal(fresh({ expires: '0', 'last-modified': date(NOW - 1000) }).lifetimeMs, 0);
  });

  it('Age: one non-negative integer, else the response is stale at once', () => {
    assert.equal(fresh({ 'cache-control': 'max-age=60', age: '30' }).initialAgeMs, 30_000);
    for (const age of ['abc', '-10', '1.5', '0, 0', '10 ; a=1']) {
      assert.equal(fresh({ 'cache-control': 'max-age=60', age, etag: '"a"' }).initialAgeMs, Infinity, age);
    }
    assert.equal(ageSeconds(['0', '0']), Infinity);
  });

  it('the corrected initial age is at least the time since Date', () => {
    assert.equal(fresh({ 'cache-control': 'max-age=60', date: date(NOW - 20_000), age: '5' }).initialAgeMs, 20_000);
  });

  it('private, no-store and an unknown status with must-understand are not stored; must-understand overrides no-store for a known status', () => {
    assert.match(refused({ 'cache-control': 'private, max-age=60' }), /private/);
    assert.match(refused({ 'cache-control': 'nO-StOrE, max-age=60' }), /no-store/);
    assert.match(refused({ 'cache-control': 'max-age=60, must-understand, no-store' }, 599), /must-understand/);
    assert.equal(fresh({ 'cache-control': 'max-age=60, must-understand, no-store' }).lifetimeMs, 60_000);
  });

  it('no explicit freshness: not stored, unless heuristics are on (10% of the age of Last-Modified, a day at most, heuristically cacheable statuses)', () => {
    const modified = { date: date(NOW), 'last-modified': date(NOW - 100_000) };
    assert.match(refused(modified), /no explicit freshness/);
    assert.equal(fresh(modified, 200, { heuristic: true }).lifetimeMs, 10_000);
    assert.match(refused(modified, 201, { heuristic: true }), /no explicit freshness/);
    assert.equal(fresh({ ...modified, 'last-modified': date(NOW - 365 * 86_400_000) }, 200, { heuristic: true }).lifetimeMs, 86_400_000);
  });

  it('no-cache is stored when it can be revalidated; stale-while-revalidate and stale-if-error are read', () => {
    assert.equal(fresh({ 'cache-control': 'no-cache', etag: '"a"' }).noCache, true);
    assert.match(refused({ 'cache-control': 'no-cache, max-age=60' }), /without a validator/);
    const stale = fresh({ 'cache-control': 'max-age=1, stale-while-revalidate=30, stale-if-error=60' });
    assert.equal(stale.staleWhileRevalidateMs, 30_000);
    assert.equal(stale.staleIfErrorMs, 60_000);
  });

  it('a request with Authorization: stored only with public, s-maxage or must-revalidate', () => {
    assert.match(refused({ 'cache-control': 'max-age=60' }, 200, { authorized: true }), /Authorization/);
    for (const value of ['public, max-age=60', 's-maxage=60', 'max-age=60, must-revalidate']) fresh({ 'cache-control': value }, 200, { authorized: true });
  });
});

describe('Surrogate-Control', () => {
  const surrogate = { surrogate: 'larder' };
  it('is read only when asked; its max-age wins over Cache-Control, whose no-store then addresses downstream caches', () => {
    assert.match(refused({ 'surrogate-control': 'max-age=60' }), /no explicit freshness/);
    assert.equal(fresh({ 'surrogate-control': 'max-age=60', 'cache-control': 'max-age=3600' }, 200, surrogate).lifetimeMs, 60_000);
    assert.equal(fresh({ 'surrogate-control': 'max-age=60;larder', 'cache-control': 'no-store' }, 200, surrogate).lifetimeMs, 60_000);
  });

  it('no-store is not stored; directives targeted at another device are ignored', () => {
    assert.match(refused({ 'surrogate-control': 'no-store', 'cache-control': 'max-age=60' }, 200, surrogate), /surrogate-control: no-store/);
    assert.match(refused({ 'surrogate-control': 'max-age=60;other' }, 200, surrogate), /no explicit freshness/);
    assert.match(refused({ 'surrogate-control': 'max-age=60;larder' }, 200, { surrogate: true }), /no explicit freshness/);
  });
});

describe('HTTP-date', () => {
  it('reads IMF-fixdate, RFC 850 and asctime; nothing else', () => {
    const ms = Date.UTC(1994, 10, 6, 8, 49, 37);
    assert.equal(httpDate('Sun, 06 Nov 1994 08:49:37 GMT'), ms);
    assert.equal(httpDate('Sunday, 06-Nov-94 08:49:37 GMT'), ms);
    assert.equal(httpDate('Sun Nov  6 08:49:37 1994'), ms);
    for (const bad of ['0', '2024-01-01', 'Sun, 06 Nov 1994 08:49:37 PST', '']) assert.equal(httpDate(bad), undefined, bad);
  });
});

describe('stored freshness', () => {
  const stored = (headers: Record<string, string>) => toStoredFreshness(fresh(headers), NOW, headers.date);

  it('fresh until lifetime minus initial age; then stale-while-revalidate, revalidate or expired', () => {
    const swr = stored({ 'cache-control': 'max-age=60, stale-while-revalidate=30', age: '10' });
    assert.equal(swr.freshUntil, NOW + 50_000);
    assert.equal(freshnessAction(swr, NOW + 49_999), 'fresh');
    assert.equal(freshnessAction(swr, NOW + 60_000), 'stale-while-revalidate');
    assert.equal(freshnessAction(swr, NOW + 80_000), 'expired');
    const validated = stored({ 'cache-control': 'max-age=60, stale-while-revalidate=30, must-revalidate', etag: '"a"' });
    assert.equal(freshnessAction(validated, NOW + 61_000), 'revalidate');
    const noCache = stored({ 'cache-control': 'no-cache, max-age=60', etag: '"a"' });
    assert.equal(freshnessAction(noCache, NOW), 'revalidate');
  });

  it('stale-if-error holds past freshness unless must-revalidate', () => {
    const sie = stored({ 'cache-control': 'max-age=1, stale-if-error=60' });
    assert.equal(freshnessAction(sie, NOW + 2000), 'revalidate');
    assert.equal(withinStaleIfError(sie, NOW + 2000), true);
    assert.equal(withinStaleIfError(sie, NOW + 70_000), false);
    assert.equal(withinStaleIfError(stored({ 'cache-control': 'max-age=1, stale-if-error=60, must-revalidate', etag: '"a"' }), NOW + 2000), false);
  });

  it('Age on a hit is the initial age plus the time since it was stored; the Date sent is kept', () => {
    const aged = stored({ 'cache-control': 'max-age=600', age: '30', date: date(NOW) });
    assert.equal(currentAge(aged, NOW, NOW + 5000), '35');
    assert.equal(aged.date, date(NOW));
  });

  it('kept while fresh, then for its stale uses or, with a validator, the keep period', () => {
    assert.deepEqual(storageTimes(stored({ 'cache-control': 'max-age=60, stale-while-revalidate=30' }), NOW, 300), { ttl: 60, grace: 30 });
    assert.deepEqual(storageTimes(stored({ 'cache-control': 'max-age=0', etag: '"a"' }), NOW, 300), { ttl: 1, grace: 300 });
    assert.deepEqual(storageTimes(stored({ 'cache-control': 's-maxage=10, stale-if-error=60' }), NOW, 300), { ttl: 10, grace: 0 });
  });

  it('travels in the stored head; an out-of-bounds one is a malformed entry', () => {
    const entry: CachedResponse = { status: 200, audience: 'h', generation: '', storedAt: NOW, headers: {}, body: 'b', encoding: 'utf8', freshness: stored({ 'cache-control': 'max-age=60' }) };
    const decoded = decodeStoredView(encodeResponse(entry)) as CachedResponse;
    assert.deepEqual(decoded.freshness, entry.freshness);
    const forged = encodeResponse(entry).replace('"swr":0', '"swr":-5');
    assert.ok(decodeStoredView(forged) instanceof MalformedView);
  });
});

describe('revalidation', () => {
  const entry: CachedResponse = { status: 200, audience: 'h', generation: 'g', storedAt: NOW, headers: { etag: '"v1"', 'last-modified': date(NOW - 1000), 'content-type': 'text/plain', 'x-a': '1', 'content-length': '5' }, body: 'b', encoding: 'utf8' };

  it('the conditions carry the stored validators', () => {
    assert.deepEqual(validatingHeaders(entry), { 'if-none-match': '"v1"', 'if-modified-since': date(NOW - 1000) });
  });

  it('a 304 selects the stored response by its ETag (weakly), else by Last-Modified', () => {
    assert.equal(selects(entry, { etag: '"v1"' }), true);
    assert.equal(selects(entry, { etag: 'W/"v1"' }), true);
    assert.equal(selects(entry, { etag: '"v2"' }), false);
    assert.equal(selects(entry, { 'last-modified': date(NOW - 1000) }), true);
    assert.equal(selects(entry, {}), true);
  });

  it('a 304 replaces the stored fields except the body\'s own and per-transmission ones', () => {
    const updated = updatedHeaders(entry, { 'x-a': '2', 'content-type': 'text/html', etag: '"other"', 'content-length': '0', 'set-cookie': 'a=b', date: 'x' });
    assert.equal(updated['x-a'], '2');
    assert.equal(updated['content-type'], 'text/html');
    assert.equal(updated.etag, '"v1"');
    assert.equal(updated['content-length'], '5');
    assert.equal(updated['set-cookie'], undefined);
  });
});

describe("route setting freshness: 'response'", () => {
  const rule = (settings: object) => toCacheRule(settings, { option: 'config.cache', route: 'GET /a' }, NO_RECOMPUTE, new ViewStatsTable());

  it('defaults: ttl mode; response mode stores any final status but 206 and 304, and adds no ETag of its own', () => {
    assert.equal(rule({})!.freshness, 'ttl');
    const byResponse = rule({ freshness: 'response' })!;
    assert.equal(byResponse.etag, false);
    assert.equal(byResponse.statusCodes.has(404), true);
    assert.equal(byResponse.statusCodes.has(206), false);
    assert.equal(byResponse.statusCodes.has(304), false);
  });

  it('refuses settings the response decides in that mode, and heuristic without it', () => {
    for (const settings of [{ freshness: 'response', grace: 10 }, { freshness: 'response', staleIfError: true }, { freshness: 'response', cacheControl: true }, { heuristic: true }, { freshness: 'origin' }, { freshness: 'response', heuristic: 'yes' }]) {
      assert.throws(() => rule(settings), { code: 'E_INVALID_OPTION' }, JSON.stringify(settings));
    }
  });
});
