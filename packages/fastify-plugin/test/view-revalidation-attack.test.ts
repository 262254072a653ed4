import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Cache, MemcachedBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import larder from '../src/index.js';
import { quiet } from './build-app.js';
import { get, listen } from './http-client.js';

// An attacker's view of `freshness: 'response'` revalidation, over real HTTP and a real memcached:
// a 304 may update a stored response only into one that could have been stored in the first place.

describe("freshness: 'response' revalidation by a hostile or careless origin", () => {
  let server: MemcachedServer;
  let cache: Cache;
  let app: FastifyInstance;
  let base: string;
  let full = 0;
  let open: () => void = () => {};
  let openCompressed: () => void = () => {};
  const compressedGate = new Promise<void>((resolve) => (openCompressed = resolve));
  const gate = new Promise<void>((resolve) => (open = resolve));
  before(async () => {
    server = await MemcachedServer.start();
    cache = new Cache({ backend: new MemcachedBackend({ servers: server.address, timeout: 500, connectTimeout: 500 }), logger: quiet });
    app = Fastify();
    await app.register(larder, { cache });
    app.get('/vary-star', { config: { cache: { freshness: 'response' } } }, async (request, reply) => {
      // The origin now says the page depends on more than the request's headers (Vary: *).
      if (request.headers['if-none-match'] === '"v1"') return reply.code(304).headers({ etag: '"v1"', 'cache-control': 'max-age=60', vary: '*' }).send();
      full++;
      return reply.headers({ etag: '"v1"', 'cache-control': 'max-age=0' }).send(`render ${full}`);
    });
    // Cache-Control on every answer (as an app-wide hook sets it), and If-Match honoured: a 412 for another ETag.
    app.get('/precondition', { config: { cache: { freshness: 'response' } } }, async (request, reply) => {
      reply.header('cache-control', 'max-age=60');
      const ifMatch = request.headers['if-match'];
      if (ifMatch !== undefined && ifMatch !== '"v1"') {
        await gate;
        return reply.code(412).send('precondition failed');
      }
      return reply.header('etag', '"v1"').send('the page');
    });
    // Compressed for a client that asks, without Vary: Accept-Encoding (nginx's gzip_vary is off by default).
    app.get('/compressed', { config: { cache: { freshness: 'response' } } }, async (request, reply) => {
      reply.header('cache-control', 'max-age=60');
      if (String(request.headers['accept-encoding'] ?? '').includes('gzip')) {
        await compressedGate;
        return reply.header('content-encoding', 'gzip').send(gzipSync('the page'));
      }
      return reply.send('the page');
    });
    // Shared with Authorization: public at first; the revalidation's 304 drops public and names its visitor.
    app.get('/authorized', { config: { cache: { freshness: 'response', shareAuthorized: true } } }, async (request, reply) => {
      if (request.headers['if-none-match'] === '"a1"') return reply.code(304).headers({ etag: '"a1"', 'cache-control': 'max-age=60', 'x-user': String(request.headers.authorization) }).send();
      return reply.headers({ etag: '"a1"', 'cache-control': 'public, max-age=0' }).send('shared page');
    });
    base = await listen(app);
  });
  after(async () => {
    await app.close();
    await cache.close();
    await server.stop();
  });

  /** memcached's own count of a command so far (`cmd_get`, `cmd_set`). */
  const count = async (stat: 'cmd_get' | 'cmd_set') => Number((await server.stats())[stat]);
  /** Resolves once memcached has counted `total` of `stat`: a request has reached it. */
  const counted = async (stat: 'cmd_get' | 'cmd_set', total: number) => {
    while ((await count(stat)) < total) await new Promise((resolve) => setImmediate(resolve));
  };
  /** Sends `first`, then `second` once the first one's read reached memcached, and returns both once the second's has too. */
  const oneReadAfterAnother = async <T>(first: () => Promise<T>, second: () => Promise<T>): Promise<[Promise<T>, Promise<T>]> => {
    const before = await count('cmd_get');
    const a = first();
    await counted('cmd_get', before + 1);
    const b = second();
    await counted('cmd_get', before + 2);
    return [a, b];
  };

  it('a 304 with Vary: * does not leave the response stored, to be served to everyone as a HIT', async () => {
    assert.equal((await get(base, '/vary-star')).text, 'render 1');
    // Stale at once (max-age=0) with a validator: revalidated, and the 304 says Vary: *.
    await get(base, '/vary-star');
    const third = await get(base, '/vary-star');
    assert.notEqual(third.headers['x-cache'], 'HIT', 'a response with Vary: * never matches a later request (RFC 9111 4.1)');
  });

  it("a client's If-Match makes the handler answer 412: that answer is not handed to, nor stored for, requests without it", async () => {
    // The victim reads the key too, finds nothing, and waits for the attacker's response, the first for the page.
    const [attacker, victim] = await oneReadAfterAnother(() => get(base, '/precondition', { 'if-match': '"forged"' }), () => get(base, '/precondition'));
    open();
    assert.equal((await attacker).status, 412);
    const answered = await victim;
    assert.equal(answered.status, 200);
    assert.equal(answered.text, 'the page');
    assert.equal((await get(base, '/precondition')).status, 200);
  });

  it("a body compressed for one client's Accept-Encoding, without Vary: Accept-Encoding, is not handed to nor stored for clients that did not ask", async () => {
    const [asking, plainClient] = await oneReadAfterAnother(() => get(base, '/compressed', { 'accept-encoding': 'gzip' }), () => get(base, '/compressed'));
    openCompressed();
    assert.equal((await asking).headers['content-encoding'], 'gzip');
    const answered = await plainClient;
    assert.equal(answered.headers['content-encoding'], undefined);
    assert.equal(answered.text, 'the page');
  });

  it('a 304 answering a revalidation with Authorization is judged as a response to Authorization: without public it does not update the shared entry', async () => {
    const before = await count('cmd_set');
    assert.equal((await get(base, '/authorized', { authorization: 'Bearer alice' })).text, 'shared page');
    await counted('cmd_set', before + 1);
    // Stale at once: bob's request revalidates it, and the 304 (no public) carries bob's own header.
    await get(base, '/authorized', { authorization: 'Bearer bob' });
    const carol = await get(base, '/authorized', { authorization: 'Bearer carol' });
    assert.notEqual(carol.headers['x-user'], 'Bearer bob', "carol got the header the 304 made for bob");
  });
});
