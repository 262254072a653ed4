import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import compress from '@fastify/compress';
import { MemoryBackend, type Cache } from '@larder/core';
import type { FastifyInstance } from 'fastify';
import { viewKey } from '../src/index.js';
import { buildApp, quietCache } from './build-app.js';
import { get, listen } from './http-client.js';

// Bodies are stored uncompressed and compressed after the cache: the store is the route's first
// onSend hook, @fastify/compress's (added in its own onRoute hook) runs after it on every answer.
for (const order of ['compress registered after Larder', 'compress registered before Larder'] as const) {
  describe(`view cache with @fastify/compress (${order})`, () => {
    let cache: Cache;
    let app: FastifyInstance;
    let base: string;
    let calls = 0;

    before(async () => {
      cache = quietCache(new MemoryBackend());
      if (order === 'compress registered before Larder') {
        const { default: Fastify } = await import('fastify');
        const { default: larder } = await import('../src/index.js');
        app = Fastify();
        await app.register(compress, { threshold: 0 });
        await app.register(larder, { cache });
      } else {
        app = await buildApp(cache);
        await app.register(compress, { threshold: 0 });
      }
      app.get('/big', { config: { cache: true } }, async (_request, reply) => reply.type('text/plain').send(`${'compressible '.repeat(200)}${++calls}`));
      base = await listen(app);
    });
    after(async () => {
      await app.close();
      await cache.close();
    });

    it('stores the uncompressed body once and answers each client in the encoding it asks for', async () => {
      const gzipped = await get(base, '/big', { 'accept-encoding': 'gzip' });
      assert.equal(gzipped.headers['x-cache'], 'MISS');
      assert.equal(gzipped.headers['content-encoding'], 'gzip');
      const page = gunzipSync(gzipped.body).toString('utf8');
      const plain = await get(base, '/big');
      assert.equal(plain.headers['x-cache'], 'HIT');
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.text, page);
      const again = await get(base, '/big', { 'accept-encoding': 'gzip' });
      assert.equal(again.headers['x-cache'], 'HIT');
      assert.equal(again.headers['content-encoding'], 'gzip');
      assert.equal(gunzipSync(again.body).toString('utf8'), page);
      const stored = await cache.get<string>(viewKey('/big'));
      assert.ok(stored?.endsWith(page), 'the entry holds the uncompressed body');
      assert.doesNotMatch(stored ?? '', /content-encoding/);
      assert.equal(calls, 1);
    });
  });
}
