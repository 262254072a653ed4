import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend } from '@larder/core';
import type { FastifyRequest } from 'fastify';
import { buildApp, quietCache } from './build-app.js';

// The route's own request type reaches config.cache's key, unless and tags: this file compiles
// under `pnpm typecheck` only when a typed request is accepted there, and the test shows the
// typed params are what the functions get at run time.
interface ProductRoute {
  Params: { id: string };
  Querystring: { preview?: string };
}

test('a route names its request type in config.cache (params typed, no cast) and tags invalidate by them', async (t) => {
  const cache = quietCache(new MemoryBackend());
  const app = await buildApp(cache);
  t.after(async () => {
    await app.close();
    await cache.close();
  });
  let runs = 0;
  app.get<ProductRoute>(
    '/products/:id',
    {
      config: {
        cache: {
          key: (request: FastifyRequest<ProductRoute>) => `product/${request.params.id}`,
          unless: (request: FastifyRequest<ProductRoute>) => request.query.preview === '1',
          tags: (request: FastifyRequest<ProductRoute>) => [`product:${request.params.id}`],
        },
      },
    },
    async (request) => ({ id: request.params.id, run: ++runs }),
  );
  assert.equal((await app.inject('/products/7')).headers['x-cache'], 'MISS');
  assert.equal((await app.inject('/products/7')).headers['x-cache'], 'HIT');
  assert.equal((await app.inject('/products/7?preview=1')).json().run, 2, 'unless saw the typed query');
  await cache.invalidateTags(['product:7']);
  const after = await app.inject('/products/7');
  assert.equal(after.headers['x-cache'], 'MISS', 'the tag built from request.params.id invalidated the page');
  assert.equal(after.json().run, 3);
});
