import { memoryConformanceCache, responseCacheConformance } from '@larder/http/conformance';
import { memcachedConformanceCache, startConformanceApp } from './conformance-app.js';

// The shared response cache conformance suite (@larder/http/conformance) on Fastify, on the
// MemoryBackend (fake clock) and on a real memcached. @larder/express runs the same suite.

for (const [backend, openCache] of [['memory', memoryConformanceCache], ['memcached', memcachedConformanceCache]] as const) {
  responseCacheConformance({
    name: `Fastify 5 on ${backend}`,
    openCache,
    start: (routes, cache) => startConformanceApp(routes, cache),
  });
}
