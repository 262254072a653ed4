import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Cache, DecodeMemo, InvalidOptionError, MemoryBackend } from '@larder/core';
import { suiteBackends } from '@larder/core/conformance';
import { MemcachedServer } from '@larder/testing';
import { request as get } from '../src/conformance/conformance-kit.js';
import { flaskQueryHash, viewKey } from '../src/index.js';
import { decodeStoredView, DEFAULT_MEMO_BYTES, encodeResponse, MalformedView, VaryMarker } from '../src/stored-view.js';
import { NodeApp, type NodeReply } from './node-app.js';

// The response cache's safety rules (items of the first security review), over real HTTP on the
// in-package node:http adapter: keys, Vary variants, credentials, what is never stored, audiences.
// The Fastify and Express suites test their adapters (sessions, hooks, registration).

const quiet = { warn: () => {} };

/** Counts handler calls by name. */
function counter(): { count(name: string): number; calls(name: string): number } {
  const calls = new Map<string, number>();
  return {
    count: (name) => calls.set(name, (calls.get(name) ?? 0) + 1).get(name) ?? 0,
    calls: (name) => calls.get(name) ?? 0,
  };
}

async function reads(cache: Cache): Promise<number> {
  const stats = cache.stats();
  return stats.hits + stats.misses;
}

const json = (value: unknown, headers: Record<string, string> = {}): NodeReply => ({ headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) });
const text = (body: string | Buffer, headers: Record<string, string> = {}): NodeReply => ({ headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body });

const backends = suiteBackends(() => MemcachedServer.start());

for (const suite of backends) {
  describe(`response cache safety over real HTTP (node:http adapter) on ${suite.name}`, () => {
    let cache: Cache;
    let dispose: () => Promise<void>;
    let app: NodeApp;
    let base: string;
    const { count, calls } = counter();

    before(async () => {
      const made = await suite.make();
      dispose = made.dispose;
      cache = new Cache({ backend: made.backend, logger: quiet });
      app = new NodeApp(cache);
      app.get('/lookup', { queryString: true }, (request) => json({ lookup: request.query, call: count('lookup') }));
      app.get('/:slug', true, (request) => json({ slug: request.params.slug, call: count('slug') }));
      app.get('/greet', true, (request) => {
        count('greet');
        const french = String(request.headers['accept-language'] ?? '').startsWith('fr');
        return text(french ? 'Bonjour' : 'Hello', { vary: 'Accept-Language' });
      });
      app.get('/slow-greet', true, async (request) => {
        count('slow-greet');
        await new Promise((resolve) => setTimeout(resolve, 100));
        return text(`lang=${String(request.headers['accept-language'])}`, { vary: 'accept-language' });
      });
      app.get('/gz', true, (request) => {
        count('gz');
        if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return text(gzipSync('plain text'), { vary: 'Accept-Encoding', 'content-encoding': 'gzip' });
        return text('plain text', { vary: 'Accept-Encoding' });
      });
      app.get('/theme', true, (request) => text(`theme ${/theme=dark/.test(String(request.headers.cookie)) ? 'dark' : 'light'} ${count('theme')}`, { vary: 'Cookie' }));
      app.get('/vary-star', true, () => json({ call: count('vary-star') }, { vary: '*' }));
      app.get('/account', true, (request) => json({ iban: `IBAN of ${String(request.headers.authorization)}`, call: count('account') }));
      app.get('/catalog', { shareAuthorized: true }, () => json({ catalog: 'same for all', call: count('catalog') }));
      app.get('/no-cache', true, () => json({ call: count('no-cache') }, { 'cache-control': 'no-cache' }));
      app.get('/popular', true, () => json({ call: count('popular') }));
      app.get('/welcome', true, (request) => text(`<a href="http://${request.host}/next">welcome ${count('welcome')}</a>`, { 'content-type': 'text/html' }));
      base = await app.listen();
    });
    after(async () => {
      await app.close();
      await cache.close();
      await dispose();
    });

    describe('item 4: the view key is unambiguous between path and query', () => {
      it('keeps view/ + path for a plain path and Flask-Caching\'s path + hash for a query key, which no plain key can spell', () => {
        assert.equal(viewKey('/users/7'), 'view//users/7');
        assert.equal(viewKey('/lookup', '?q=secret'), `/lookup${flaskQueryHash('q=secret')}`);
        assert.notEqual(viewKey('/lookup', '?q=secret'), viewKey(`/lookup${flaskQueryHash('q=secret')}`));
      });

      it('a path crafted as path + query hash does not read or overwrite the query entry', async () => {
        const real = await get(base, '/lookup?q=secret');
        assert.equal(real.headers['x-cache'], 'MISS');
        const crafted = await get(base, `/lookup${flaskQueryHash('q=secret')}`);
        assert.equal(crafted.headers['x-cache'], 'MISS');
        assert.deepEqual(JSON.parse(crafted.text), { slug: `lookup${flaskQueryHash('q=secret')}`, call: calls('slug') });
        const again = await get(base, '/lookup?q=secret');
        assert.equal(again.headers['x-cache'], 'HIT');
        assert.deepEqual(JSON.parse(again.text), { lookup: { q: 'secret' }, call: 1 });
      });
    });

    describe('item 9: responses are stored per variant of the headers their Vary names', () => {
      it('Vary: Accept-Language: English and French visitors each get their own page', async () => {
        const en = await get(base, '/greet', { 'accept-language': 'en' });
        const fr = await get(base, '/greet', { 'accept-language': 'fr-FR' });
        assert.equal(en.text, 'Hello');
        assert.equal(fr.text, 'Bonjour');
        assert.equal(fr.headers['x-cache'], 'MISS');
        const enAgain = await get(base, '/greet', { 'accept-language': 'en' });
        const frAgain = await get(base, '/greet', { 'accept-language': 'fr-FR' });
        assert.equal(enAgain.text, 'Hello');
        assert.equal(enAgain.headers['x-cache'], 'HIT');
        assert.equal(frAgain.text, 'Bonjour');
        assert.equal(frAgain.headers['x-cache'], 'HIT');
        assert.equal(frAgain.headers.vary, 'Accept-Language');
        const none = await get(base, '/greet');
        assert.equal(none.headers['x-cache'], 'MISS', 'no Accept-Language is a variant of its own');
        assert.equal(calls('greet'), 3);
      });

      it('a client without gzip never receives Content-Encoding: gzip', async () => {
        const gzip = await get(base, '/gz', { 'accept-encoding': 'gzip, deflate' });
        assert.equal(gzip.headers['content-encoding'], 'gzip');
        assert.equal(gunzipSync(gzip.body).toString(), 'plain text');
        const identity = await get(base, '/gz', { 'accept-encoding': 'identity' });
        assert.equal(identity.headers['content-encoding'], undefined);
        assert.equal(identity.text, 'plain text');
        const bare = await get(base, '/gz');
        assert.equal(bare.headers['content-encoding'], undefined);
        assert.equal(bare.text, 'plain text');
        const gzipHit = await get(base, '/gz', { 'accept-encoding': 'gzip, deflate' });
        assert.equal(gzipHit.headers['x-cache'], 'HIT');
        assert.equal(gzipHit.headers['content-encoding'], 'gzip');
        const identityHit = await get(base, '/gz', { 'accept-encoding': 'identity' });
        assert.equal(identityHit.headers['x-cache'], 'HIT');
        assert.equal(identityHit.headers['content-encoding'], undefined);
      });

      it('concurrent first requests of different variants do not share one response', async () => {
        const languages = ['en', 'fr', 'de', 'en', 'fr', 'de'];
        const responses = await Promise.all(languages.map((language) => get(base, '/slow-greet', { 'accept-language': language })));
        for (const [i, response] of responses.entries()) assert.equal(response.text, `lang=${languages[i]}`);
      });

      it('deleting viewKey(path) invalidates every variant', async () => {
        await get(base, '/greet', { 'accept-language': 'en' });
        await get(base, '/greet', { 'accept-language': 'fr' });
        assert.equal((await get(base, '/greet', { 'accept-language': 'fr' })).headers['x-cache'], 'HIT');
        await cache.delete(viewKey('/greet'));
        assert.equal((await get(base, '/greet', { 'accept-language': 'en' })).headers['x-cache'], 'MISS');
        assert.equal((await get(base, '/greet', { 'accept-language': 'fr' })).headers['x-cache'], 'MISS');
      });

      it('Vary: Cookie set by the handler: each cookie gets its own page, cookieless visitors share one', async () => {
        const dark = await get(base, '/theme', { cookie: 'theme=dark' });
        const light = await get(base, '/theme', { cookie: 'theme=light' });
        const none = await get(base, '/theme');
        assert.match(dark.text, /^theme dark/);
        assert.match(light.text, /^theme light/);
        assert.equal(light.headers['x-cache'], 'MISS');
        assert.equal((await get(base, '/theme', { cookie: 'theme=dark' })).text, dark.text);
        assert.equal((await get(base, '/theme', { cookie: 'theme=light' })).text, light.text);
        assert.equal((await get(base, '/theme')).text, none.text);
        assert.equal(calls('theme'), 3);
      });

      it('a Vary list at the key not in the normalised form (foreign or forged) is ignored', async () => {
        await cache.set(viewKey('/greet'), 'larder-vary/1 {"vary":["Accept-Language"],"generation":"g"}');
        const en = await get(base, '/greet', { 'accept-language': 'en' });
        const fr = await get(base, '/greet', { 'accept-language': 'fr' });
        assert.equal(en.text, 'Hello');
        assert.equal(fr.text, 'Bonjour');
        assert.equal((await get(base, '/greet', { 'accept-language': 'fr' })).text, 'Bonjour');
      });

      it('Vary: * is never stored', async () => {
        await get(base, '/vary-star');
        const second = await get(base, '/vary-star');
        assert.equal(second.headers['x-cache'], 'MISS');
        assert.equal(calls('vary-star'), 2);
      });

      it('a hit of a response without Vary is one cache read', async () => {
        await get(base, '/popular');
        const before = await reads(cache);
        assert.equal((await get(base, '/popular')).headers['x-cache'], 'HIT');
        assert.equal((await reads(cache)) - before, 1);
      });
    });

    describe('item 10: requests with Authorization are not shared unless the route opts in', () => {
      it("alice's authorized page is not served to bob, nor stored for anyone", async () => {
        const alice = await get(base, '/account', { authorization: 'Bearer alice' });
        const bob = await get(base, '/account', { authorization: 'Bearer bob' });
        assert.match(alice.text, /IBAN of Bearer alice/);
        assert.match(bob.text, /IBAN of Bearer bob/);
        assert.notEqual(bob.headers['x-cache'], 'HIT');
        const guest = await get(base, '/account');
        assert.equal(guest.headers['x-cache'], 'MISS');
        assert.match(guest.text, /IBAN of undefined/);
      });

      it('shareAuthorized: true serves and stores authorized requests from the shared entry', async () => {
        await get(base, '/catalog', { authorization: 'Bearer alice' });
        const bob = await get(base, '/catalog', { authorization: 'Bearer bob' });
        assert.equal(bob.headers['x-cache'], 'HIT');
        assert.equal(calls('catalog'), 1);
      });
    });

    describe('item 12: what is never stored, and what a client cannot force', () => {
      it('a response with Cache-Control: no-cache is not stored', async () => {
        await get(base, '/no-cache');
        const second = await get(base, '/no-cache');
        assert.equal(second.headers['x-cache'], 'MISS');
        assert.equal(calls('no-cache'), 2);
      });

      it("a request's own Cache-Control: no-cache / Pragma: no-cache is served from the cache", async () => {
        await get(base, '/popular');
        const before = calls('popular');
        const storm = await Promise.all(Array.from({ length: 20 }, () => get(base, '/popular', { 'cache-control': 'no-cache', pragma: 'no-cache' })));
        for (const response of storm) assert.equal(response.headers['x-cache'], 'HIT');
        assert.equal(calls('popular'), before);
      });
    });

    describe('item 13: an entry is never served to another Host', () => {
      it('a page that embeds the Host is not served to another host, nor overwritten by it', async () => {
        const a = await get(base, '/welcome', { host: 'a.example' });
        assert.match(a.text, /http:\/\/a\.example\/next/);
        const b = await get(base, '/welcome', { host: 'b.example' });
        assert.match(b.text, /http:\/\/b\.example\/next/);
        assert.notEqual(b.headers['x-cache'], 'HIT');
        const aAgain = await get(base, '/welcome', { host: 'a.example' });
        assert.equal(aAgain.headers['x-cache'], 'HIT');
        assert.equal(aAgain.text, a.text);
        const bAgain = await get(base, '/welcome', { host: 'b.example' });
        assert.match(bAgain.text, /http:\/\/b\.example\/next/);
      });
    });
  });
}

describe('item 7: decoded responses held in process are bounded in bytes', () => {
  it('after many large distinct responses over HTTP, the decode memo stays under its byte bound', async (t) => {
    const cache = new Cache({ backend: new MemoryBackend({ maxBytes: 256 * 1024 * 1024 }), logger: quiet });
    const app = new NodeApp(cache);
    t.after(async () => {
      await app.close();
      await cache.close();
    });
    app.get('/big/:n', true, (request) => text(`${request.params.n}:${'x'.repeat(300_000)}`));
    const base = await app.listen();
    for (let n = 0; n < 40; n++) {
      await get(base, `/big/${n}`);
      const hit = await get(base, `/big/${n}`);
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(hit.body.length, 300_000 + `${n}:`.length);
    }
    const held = app.engine.memoBytes;
    assert.ok(held > 0 && held <= DEFAULT_MEMO_BYTES, `memo holds ${held} bytes, bound ${DEFAULT_MEMO_BYTES}`);
  });
  it('the decode memo keeps within maxBytes, never holds a value over maxEntryBytes, and still decodes it', async (t) => {
    const cache = new Cache({ backend: new MemoryBackend(), logger: quiet });
    t.after(() => cache.close());
    let decodes = 0;
    const memo = new DecodeMemo((value) => (decodes++, decodeStoredView(value)), { maxBytes: 64 * 1024, maxEntryBytes: 16 * 1024 });
    const response = (body: string) => encodeResponse({ status: 200, audience: 'h', generation: 'g', storedAt: 0, headers: {}, body, encoding: 'utf8' });
    for (let n = 0; n < 100; n++) {
      await cache.set(`k${n}`, response('y'.repeat(3_000)));
      const decoded = await cache.readDecoded(`k${n}`, memo);
      assert.ok(decoded && !(decoded instanceof VaryMarker) && !(decoded instanceof MalformedView) && decoded.body.length === 3_000);
      assert.ok(memo.bytes <= 64 * 1024);
    }
    const before = memo.bytes;
    await cache.set('big', response('z'.repeat(20_000)));
    const big = await cache.readDecoded('big', memo);
    assert.ok(big && !(big instanceof VaryMarker) && !(big instanceof MalformedView) && big.body.length === 20_000);
    assert.equal(memo.bytes, before, 'a value over maxEntryBytes is not held');
    await cache.set('same', response('same'));
    decodes = 0;
    assert.equal(await cache.readDecoded('same', memo), await cache.readDecoded('same', memo), 'a held value decodes once');
    assert.equal(decodes, 1);
  });
});

describe('route settings refuse statuses that are never stored (item 12)', () => {
  for (const status of [206, 304]) {
    it(`statusCodes with ${status} fails when the route is added`, async () => {
      const cache = new Cache({ logger: quiet });
      const app = new NodeApp(cache);
      assert.throws(
        () => app.get('/x', { statusCodes: [200, status] }, () => text('x')),
        (error: unknown) => error instanceof InvalidOptionError && /statusCodes/.test(error.message),
      );
      await cache.close();
    });
  }

  it('shareAuthorized and shareSessions must be booleans', async () => {
    const cache = new Cache({ logger: quiet });
    const app = new NodeApp(cache);
    assert.throws(() => app.get('/a', { shareAuthorized: 'yes' as unknown as boolean }, () => text('a')), InvalidOptionError);
    assert.throws(() => app.get('/b', { shareSessions: 1 as unknown as boolean }, () => text('b')), InvalidOptionError);
    await cache.close();
  });
});
