import type { Cache } from '@larder/core';
import { responseCacheConformance, type ConformanceRoute } from '@larder/http/conformance';
import type express from 'express';
import { cacheResponse, larder } from '../src/index.js';
import { expressVersions, listen, suiteCaches, type ExpressVersion } from './build-app.js';

// The shared response cache conformance suite (@larder/http/conformance) on Express 5 and
// Express 4, each on the MemoryBackend (fake clock) and on a real memcached. The Fastify plugin
// runs the same suite.

/** Declares one neutral route: `cacheResponse(settings)` before a handler that sends what the suite's handler answers. */
function declare(app: express.Express, version: ExpressVersion, route: ConformanceRoute): void {
  const path = route.path.endsWith('/*') ? `${route.path.slice(0, -1)}${version.wildcard}` : route.path;
  const handler: express.RequestHandler = (request, response, next) => {
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.params)) if (typeof value === 'string') params[name] = value;
    // Express 4 does not catch a rejected handler: the promise is settled here for both.
    Promise.resolve(route.handle({ method: request.method, url: request.originalUrl, params, headers: request.headers })).then(
      (answer) => void response.status(answer.status).set(answer.headers).send(answer.body),
      next,
    );
  };
  if (route.method === 'POST') app.post(path, cacheResponse(route.settings), handler);
  else app.get(path, cacheResponse(route.settings), handler);
}

async function start(version: ExpressVersion, routes: readonly ConformanceRoute[], cache: Cache) {
  const app = version.make();
  const installed = larder(app, { cache, setDefault: false });
  for (const route of routes) declare(app, version, route);
  const server = await listen(app);
  return {
    base: server.base,
    close: async () => {
      await server.close();
      await installed.close();
    },
  };
}

for (const version of expressVersions) {
  for (const [backend, openCache] of suiteCaches) {
    responseCacheConformance({ name: `${version.name} on ${backend}`, openCache, start: (routes, cache) => start(version, routes, cache) });
  }
}
