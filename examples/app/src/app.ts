import Fastify, { type FastifyInstance } from 'fastify';
import { cacheFromEnv, type Cache } from '@larder/core';

/** A slow lookup the cache saves us from repeating. */
async function slowSquare(n: number): Promise<{ n: number; square: number; computedAt: string }> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { n, square: n * n, computedAt: new Date().toISOString() };
}

/** Builds the example app around a cache (default: chosen from the environment). */
export function buildApp(cache: Cache = cacheFromEnv({ prefix: 'example' })): FastifyInstance {
  const app = Fastify({ logger: true });
  app.addHook('onClose', async () => cache.close());

  app.get('/', async () => ({
    message: 'Larder example: try /square/12 twice, then /stats',
    backend: cache.backend.name,
  }));

  app.get<{ Params: { n: string } }>('/square/:n', async (request) => {
    const n = Number(request.params.n);
    return cache.getOrSet(`square:${n}`, () => slowSquare(n), '1m');
  });

  app.get('/stats', async () => cache.stats());
  return app;
}
