import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Cache } from '@larder/core';
import type { FastifyInstance } from 'fastify';
import { viewKey } from '../src/index.js';
import { buildApp, quietCache, suiteBackends } from './build-app.js';

for (const suite of suiteBackends) {
  describe(`view caching on ${suite.name}`, () => {
    let cache: Cache;
    let dispose: () => Promise<void>;
    let app: FastifyInstance;
    const calls = new Map<string, number>();
    const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1).get(name) ?? 0;

    before(async () => {
      const made = await suite.make();
      dispose = made.dispose;
      cache = quietCache(made.backend, 'app:');
      app = await buildApp(cache);
      app.get('/users/:id', { config: { cache: true } }, async (request) => ({ user: (request.params as { id: string }).id, call: count('users') }));
      app.get('/html', { config: { cache: { ttl: 60 } } }, async (_request, reply) => {
        count('html');
        return reply.type('text/html; charset=utf-8').header('x-built-by', 'larder-test').send('<h1>hello</h1>');
      });
      app.get('/bytes', { config: { cache: true } }, async (_request, reply) => {
        count('bytes');
        return reply.type('application/octet-stream').send(Buffer.from([0, 1, 2, 255]));
      });
      app.get('/search', { config: { cache: { queryString: true } } }, async (request) => ({ query: request.query, call: count('search') }));
      app.get('/plain', { config: { cache: true } }, async (request) => ({ query: request.query, call: count('plain') }));
      app.get('/custom', { config: { cache: { key: (request) => `custom/${String(request.headers['accept-language'])}` } } }, async (request) => ({
        lang: request.headers['accept-language'],
        call: count('custom'),
      }));
      app.get('/unless', { config: { cache: { unless: (request) => request.headers['x-fresh'] === '1' } } }, async () => ({ call: count('unless') }));
      app.get('/missing', { config: { cache: true } }, async (_request, reply) => reply.code(404).send({ call: count('missing') }));
      app.get('/created', { config: { cache: { statusCodes: [200, 203] } } }, async (_request, reply) => reply.code(203).send({ call: count('created') }));
      app.get('/cookie', { config: { cache: true } }, async (_request, reply) => reply.header('set-cookie', 'sid=1').send({ call: count('cookie') }));
      app.get('/private', { config: { cache: true } }, async (_request, reply) => reply.header('cache-control', 'private, max-age=60').send({ call: count('private') }));
      app.get('/no-store', { config: { cache: true } }, async (_request, reply) => reply.header('cache-control', 'no-store').send({ call: count('no-store') }));
      app.get('/stream', { config: { cache: true } }, async (_request, reply) => {
        count('stream');
        return reply.type('text/plain').send(Readable.from(['chunk one, ', 'chunk two']));
      });
      // No config.cache here: on a POST route it is refused (silent-mistakes.test.ts).
      app.post('/users/:id', async () => ({ call: count('post') }));
      app.get('/boom', { config: { cache: true } }, async () => {
        count('boom');
        throw new Error('handler failed');
      });
      app.get('/slow', { config: { cache: true } }, async () => {
        const call = count('slow');
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { call };
      });
      app.get('/uncached', async () => ({ call: count('uncached') }));
    });
    after(async () => {
      await app.close();
      await cache.close();
      await dispose();
    });

    it('serves the second request from the cache without running the handler', async () => {
      const first = await app.inject('/users/7');
      const second = await app.inject('/users/7');
      assert.equal(first.statusCode, 200);
      assert.equal(first.headers['x-cache'], 'MISS');
      assert.equal(second.headers['x-cache'], 'HIT');
      assert.deepEqual(second.json(), { user: '7', call: 1 });
      assert.equal(second.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(calls.get('users'), 1);
    });

    it('stores the response under view/ + path, with the cache prefix, readable by viewKey', async () => {
      await app.inject('/users/8');
      assert.equal(viewKey('/users/8'), 'view//users/8');
      assert.equal(cache.backendKey(viewKey('/users/8')), 'app:view//users/8');
      const stored = await cache.get<string>(viewKey('/users/8'));
      assert.match(stored ?? '', /^larder-view\/4 \{"status":200,"audience":"localhost:80\\u0000\/users\/:id","generation":"[0-9a-f]{16}","storedAt":\d+,"headers":\{"content-type":"application\/json; charset=utf-8","etag":"\\"[\w-]{27}\\"","last-modified":"[^"]+ GMT"\},"encoding":"utf8"\}\n/);
      assert.deepEqual(JSON.parse(stored?.split('\n')[1] ?? ''), { user: '8', call: calls.get('users') });
    });

    it('deleting viewKey(path) makes the next request run the handler again', async () => {
      await app.inject('/users/9');
      const before = calls.get('users');
      assert.equal(await app.cache.delete(viewKey('/users/9')), true);
      const again = await app.inject('/users/9');
      assert.equal(again.headers['x-cache'], 'MISS');
      assert.equal(calls.get('users'), (before ?? 0) + 1);
    });

    it('replays status, content-type, other headers and text bodies as sent', async () => {
      const first = await app.inject('/html');
      const hit = await app.inject('/html');
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(hit.body, '<h1>hello</h1>');
      assert.equal(hit.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(hit.headers['x-built-by'], 'larder-test');
      assert.equal(hit.headers['content-length'], first.headers['content-length']);
      assert.equal(calls.get('html'), 1);
    });

    it('replays binary bodies byte for byte', async () => {
      await app.inject('/bytes');
      const hit = await app.inject('/bytes');
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.deepEqual(hit.rawPayload, Buffer.from([0, 1, 2, 255]));
      assert.equal(calls.get('bytes'), 1);
    });

    it('with queryString, reordered arguments share an entry and different ones do not', async () => {
      const first = await app.inject('/search?b=2&a=1');
      const reordered = await app.inject('/search?a=1&b=2');
      const other = await app.inject('/search?a=1&b=3');
      assert.equal(first.headers['x-cache'], 'MISS');
      assert.equal(reordered.headers['x-cache'], 'HIT');
      assert.equal(other.headers['x-cache'], 'MISS');
      assert.equal(calls.get('search'), 2);
      assert.ok(await cache.get(viewKey('/search', { a: '1', b: '2' })));
      assert.ok(await cache.get(viewKey('/search', '?b=2&a=1')));
    });

    it('without queryString, every query string shares the path entry (as Flask-Caching)', async () => {
      await app.inject('/plain?x=1');
      const other = await app.inject('/plain?x=2');
      assert.equal(other.headers['x-cache'], 'HIT');
      assert.deepEqual(other.json(), { query: { x: '1' }, call: 1 });
    });

    it('a key function overrides the path key', async () => {
      await app.inject({ url: '/custom', headers: { 'accept-language': 'fr' } });
      const fr = await app.inject({ url: '/custom', headers: { 'accept-language': 'fr' } });
      const de = await app.inject({ url: '/custom', headers: { 'accept-language': 'de' } });
      assert.equal(fr.headers['x-cache'], 'HIT');
      assert.equal(de.headers['x-cache'], 'MISS');
      assert.ok(await cache.get('custom/fr'));
      assert.equal(await cache.get(viewKey('/custom')), undefined);
    });

    it('unless(request) neither reads nor stores for that request', async () => {
      await app.inject('/unless');
      const fresh = await app.inject({ url: '/unless', headers: { 'x-fresh': '1' } });
      assert.equal(fresh.headers['x-cache'], undefined);
      assert.deepEqual(fresh.json(), { call: 2 });
      const cached = await app.inject('/unless');
      assert.deepEqual(cached.json(), { call: 1 });
    });

    const neverCached: Array<[string, string, number]> = [
      ['a status outside statusCodes (404)', '/missing', 404],
      ['a response that sets a cookie', '/cookie', 200],
      ['Cache-Control: private', '/private', 200],
      ['Cache-Control: no-store', '/no-store', 200],
      ['a streamed body', '/stream', 200],
      ['a handler error (500)', '/boom', 500],
    ];
    for (const [what, url, status] of neverCached) {
      it(`does not cache ${what}`, async () => {
        const name = url.slice(1);
        const first = await app.inject(url);
        const second = await app.inject(url);
        assert.equal(first.statusCode, status);
        assert.equal(second.statusCode, status);
        assert.equal(second.headers['x-cache'], 'MISS');
        assert.equal(calls.get(name), 2);
        assert.equal(await cache.get(viewKey(url)), undefined);
      });
    }

    it('the streamed body still reaches the client whole', async () => {
      const response = await app.inject('/stream');
      assert.equal(response.body, 'chunk one, chunk two');
    });

    it('caches other status codes when statusCodes lists them', async () => {
      await app.inject('/created');
      const hit = await app.inject('/created');
      assert.equal(hit.statusCode, 203);
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(calls.get('created'), 1);
    });

    it('never caches methods other than GET and HEAD', async () => {
      await app.inject({ method: 'POST', url: '/users/1' });
      const second = await app.inject({ method: 'POST', url: '/users/1' });
      assert.equal(second.headers['x-cache'], undefined);
      assert.equal(calls.get('post'), 2);
    });

    it('HEAD is served from the entry GET stored, without a body', async () => {
      await app.inject('/users/11');
      const head = await app.inject({ method: 'HEAD', url: '/users/11' });
      assert.equal(head.statusCode, 200);
      assert.equal(head.headers['x-cache'], 'HIT');
      assert.equal(head.body, '');
    });

    it('routes without config.cache are untouched', async () => {
      const response = await app.inject('/uncached');
      await app.inject('/uncached');
      assert.equal(response.headers['x-cache'], undefined);
      assert.equal(calls.get('uncached'), 2);
    });

    it('concurrent misses for one key run the handler once and all get its response', async () => {
      const responses = await Promise.all(Array.from({ length: 40 }, () => app.inject('/slow')));
      assert.equal(calls.get('slow'), 1);
      for (const response of responses) assert.deepEqual(response.json(), { call: 1 });
      assert.equal(responses.filter((response) => response.headers['x-cache'] === 'MISS').length, 1);
    });
  });
}
