import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemcachedBackend, MemoryBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import Fastify from 'fastify';
import larder, { viewKey } from '../src/index.js';
import { buildApp, quietCache } from './build-app.js';

describe('view caching when things go wrong', () => {
  it('memcached down: every route still answers 200, running its handler', async (t) => {
    const server = await MemcachedServer.start();
    const cache = quietCache(new MemcachedBackend({ servers: server.address, timeout: 200, connectTimeout: 300 }));
    const app = await buildApp(cache);
    t.after(async () => {
      await app.close();
      await cache.close();
      await server.stop();
    });
    let calls = 0;
    app.get('/page', { config: { cache: true } }, async () => ({ call: ++calls }));
    app.get('/plain', async () => 'plain');
    assert.equal((await app.inject('/page')).statusCode, 200);
    await server.kill();
    const responses = await Promise.all([app.inject('/page'), app.inject('/page?x=1'), app.inject('/plain'), app.inject('/page')]);
    for (const response of responses) assert.equal(response.statusCode, 200);
    const afterKill = await app.inject('/page');
    assert.equal(afterKill.statusCode, 200);
    assert.equal(afterKill.headers['x-cache'], 'MISS');
    assert.ok(cache.stats().errors > 0, 'the failures are counted');
  });

  it('a foreign value under the view key is a miss, not a broken reply', async (t) => {
    const cache = quietCache(new MemoryBackend());
    const app = await buildApp(cache);
    t.after(() => app.close());
    app.get('/page', { config: { cache: true } }, async () => 'fresh');
    await cache.set(viewKey('/page'), 'written by someone else');
    const response = await app.inject('/page');
    assert.equal(response.body, 'fresh');
    assert.equal(response.headers['x-cache'], 'MISS');
  });

  it('a hit still runs the hooks before the handler, so authentication applies', async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    await app.register(larder);
    app.get(
      '/secret',
      {
        config: { cache: true },
        onRequest: async (request, reply) => {
          if (request.headers.authorization !== 'Bearer ok') return reply.code(401).send({ error: 'login first' });
          return undefined;
        },
      },
      async () => ({ secret: 42 }),
    );
    const allowed = await app.inject({ url: '/secret', headers: { authorization: 'Bearer ok' } });
    assert.equal(allowed.statusCode, 200);
    const denied = await app.inject('/secret');
    assert.equal(denied.statusCode, 401);
    assert.deepEqual(denied.json(), { error: 'login first' });
  });

  it('a value too large for the backend is served and not cached, with a warning', async (t) => {
    const cache = quietCache(new MemoryBackend({ maxValueSize: 1024 }));
    const app = await buildApp(cache);
    t.after(() => app.close());
    let calls = 0;
    app.get('/big', { config: { cache: true } }, async () => {
      calls++;
      return 'x'.repeat(4096);
    });
    assert.equal((await app.inject('/big')).body.length, 4096);
    const second = await app.inject('/big');
    assert.equal(second.body.length, 4096);
    assert.equal(second.headers['x-cache'], 'MISS');
    assert.equal(calls, 2);
  });
});
