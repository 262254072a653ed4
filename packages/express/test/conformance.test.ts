import { responseCacheConformance } from '@larder/http/conformance';
import { expressVersions, startConformanceApp, suiteCaches } from './build-app.js';

// The shared response cache conformance suite (@larder/http/conformance) on Express 5 and
// Express 4, each on the MemoryBackend (fake clock) and on a real memcached. The Fastify plugin
// runs the same suite.

for (const version of expressVersions) {
  for (const [backend, openCache] of suiteCaches) {
    responseCacheConformance({ name: `${version.name} on ${backend}`, openCache, start: (routes, cache) => startConformanceApp(version, routes, cache) });
  }
}
