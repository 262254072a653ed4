import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidArgumentError, type Cache } from '@larder/core';
import type { FastifyInstance } from 'fastify';
import { viewKey } from '../src/index.js';
import { viewCaches } from '../src/plugin.js';
import { buildApp, quietCache, suiteBackends } from './build-app.js';
import { get, listen } from './http-client.js';

const HOST = 'shop.example';

/** A value in the stored-response format with this head (the fields a real entry has, overridden). */
function forged(head: Record<string, unknown>, body = 'stored'): string {
  return `larder-view/4 ${JSON.stringify({ status: 200, audience: `${HOST}\u0000/p`, generation: 'g', storedAt: Date.now(), headers: {}, encoding: 'utf8', ...head })}\n${body}`;
}

const manyHeaders = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`x-h${i}`, 'v']));

/** Stored responses that must never be replayed: each is a miss, the handler answers. */
const refused: Record<string, string> = {
  'status 1000': forged({ status: 1000 }),
  'status 101 (would hang the client)': forged({ status: 101 }),
  'status 199': forged({ status: 199 }),
  'status 304': forged({ status: 304 }),
  'status 206': forged({ status: 206 }),
  'status 201, not in the route statusCodes': forged({ status: 201 }),
  'status 200.5': forged({ status: 200.5 }),
  'status as text': forged({ status: '200' }),
  'CR LF in a header value': forged({ headers: { 'x-a': 'a\r\nset-cookie: sid=evil' } }),
  'CR LF in a header list value': forged({ headers: { link: ['<a>', 'b\r\nx: y'] } }),
  'a header name with a space': forged({ headers: { 'bad name': 'v' } }),
  'an empty header name': forged({ headers: { '': 'v' } }),
  'a header value that is a number': forged({ headers: { 'x-n': 5 } }),
  'a Set-Cookie header (never stored by Larder)': forged({ headers: { 'set-cookie': 'sid=evil' } }),
  'headers as an array': forged({ headers: ['x'] }),
  '150 headers': forged({ headers: manyHeaders }),
  'a 100 KB header value': forged({ headers: { 'x-big': 'x'.repeat(100_000) } }),
  'an unknown body encoding': forged({ encoding: 'hex' }),
  'no audience': forged({ audience: undefined }),
  'no time stored': forged({ storedAt: undefined }),
  'a time stored that is not a whole number': forged({ storedAt: 1.5 }),
};

for (const suite of suiteBackends) {
  describe(`forged stored views are misses, over real HTTP on ${suite.name}`, () => {
    let cache: Cache;
    let dispose: () => Promise<void>;
    let app: FastifyInstance;
    let base: string;

    before(async () => {
      const made = await suite.make();
      dispose = made.dispose;
      cache = quietCache(made.backend);
      app = await buildApp(cache);
      app.get('/p', { config: { cache: true } }, async (_request, reply) => reply.type('text/plain').send('fresh'));
      base = await listen(app);
    });
    after(async () => {
      await app.close();
      await cache.close();
      await dispose();
    });

    for (const [name, value] of Object.entries(refused)) {
      it(`${name}: 200 from the handler and one counted error`, { timeout: 10_000 }, async () => {
        const views = viewCaches.get(app)!;
        const before = views.malformedEntries;
        assert.equal(await cache.set(viewKey('/p'), value), true);
        const response = await get(base, '/p', { host: HOST });
        assert.equal(response.status, 200);
        assert.equal(response.text, 'fresh');
        assert.equal(response.headers['x-cache'], 'MISS');
        assert.equal(response.headers['set-cookie'], undefined);
        assert.equal(views.malformedEntries - before, 1);
      });
    }

    it('per-transmission headers in a stored view are dropped on replay', { timeout: 10_000 }, async () => {
      const headers = { 'content-length': '1000', 'transfer-encoding': 'chunked', connection: 'close', 'keep-alive': 'timeout=99', date: 'yesterday', 'x-cache': 'FAKE', 'content-type': 'text/plain' };
      await cache.set(viewKey('/p'), forged({ headers }, 'from the cache'));
      const response = await get(base, '/p', { host: HOST });
      assert.equal(response.status, 200);
      assert.equal(response.text, 'from the cache');
      assert.equal(response.headers['x-cache'], 'HIT');
      assert.equal(response.headers['content-length'], String('from the cache'.length));
      assert.equal(response.headers['transfer-encoding'], undefined);
      assert.notEqual(response.headers.date, 'yesterday');
      assert.notEqual(response.headers['keep-alive'], 'timeout=99');
    });
  });
}

describe('viewKey refuses what is not a path or query arguments (typed errors)', () => {
  it('null or a number as query, a non-string path: InvalidArgumentError', () => {
    for (const call of [
      () => viewKey('/a', null as never),
      () => viewKey('/a', 42 as never),
      () => viewKey(null as never),
      () => viewKey(7 as never),
    ]) {
      assert.throws(call, (error: unknown) => error instanceof InvalidArgumentError && error.code === 'E_INVALID_ARGUMENT');
    }
    assert.equal(viewKey('/a', {}), viewKey('/a', ''));
  });
});
