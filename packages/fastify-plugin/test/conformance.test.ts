import { Cache, MemcachedBackend } from '@larder/core';
import { memoryConformanceCache, responseCacheConformance, type ConformanceCache, type ConformanceRoute } from '@larder/http/conformance';
import { MemcachedServer, metaTtl } from '@larder/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import larder from '../src/index.js';
import { listen } from './http-client.js';

// The shared response cache conformance suite (@larder/http/conformance) on Fastify, on the
// MemoryBackend (fake clock) and on a real memcached. @larder/express runs the same suite.

/** A Cache on a memcached of its own, started for the run; its ttl is memcached's own clock. */
async function memcachedConformanceCache(): Promise<ConformanceCache> {
  const server = await MemcachedServer.start();
  const backend = new MemcachedBackend({ servers: server.address, timeout: 1000 });
  return {
    cache: new Cache({ backend, keyPrefix: 'conformance:', logger: { warn: () => {} } }),
    fakeClock: false,
    advance: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
    remainingTtl: (key) => metaTtl(server.host, server.port, key),
    dispose: () => server.stop(),
  };
}

/** Declares one neutral route: `config: { cache }` and a handler that sends what the suite's handler answers. */
function declare(app: FastifyInstance, route: ConformanceRoute): void {
  app.route({
    method: route.method,
    url: route.path,
    config: { cache: route.settings },
    handler: async (request, reply) => {
      const params = request.params as Record<string, string>;
      const answer = await route.handle({ method: request.method, url: request.url, params, headers: request.headers });
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    },
  });
}

for (const [backend, openCache] of [['memory', memoryConformanceCache], ['memcached', memcachedConformanceCache]] as const) {
  responseCacheConformance({
    name: `Fastify 5 on ${backend}`,
    openCache,
    start: async (routes, cache) => {
      const app = Fastify();
      await app.register(larder, { cache, setDefault: false });
      for (const route of routes) declare(app, route);
      const base = await listen(app);
      return { base, close: () => app.close() };
    },
  });
}
