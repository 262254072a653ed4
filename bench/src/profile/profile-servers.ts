// The server process of the profile tools: Fastify and Express apps (and apicache's) serving one page of
// PROFILE_PAGE_KB kilobytes, plain and cached, on the memory backend and on memcached with a near
// cache. Prints its ports as one JSON line, then serves until stopped (see server-process.ts).
import apicache from 'apicache';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { Cache, MemcachedBackend, MemoryBackend } from '@larder/core';
import larder from '@larder/fastify-plugin';
import { cacheResponse, larder as larderExpress } from '@larder/express';
import { listenAndReportPorts } from '../server-process.js';
import { renderPage } from '../curves/page.js';
import { HIT_HEADERS } from '../http-body.js';

const memcached = process.env.BENCH_MEMCACHED;
if (!memcached) throw new Error('BENCH_MEMCACHED (host:port) is required');
const page = renderPage(Number(process.env.PROFILE_PAGE_KB ?? '1'));
const pageBytes = Buffer.from(page);

/** A Fastify app with the plain route and the cached one, on `options`'s cache. */
async function fastifyApp(options: Record<string, unknown>): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(larder, options);
  // The plain route builds its page each time, as a handler that renders would.
  app.get('/plain', async (_request, reply) => reply.type('text/html').send(page.slice(0, -1) + page.slice(-1)));
  app.get('/cached', { config: { cache: { ttl: 0 } } }, async (_request, reply) => reply.type('text/html').send(page.slice(0, -1) + page.slice(-1)));
  // What a hit sends, from a plain route: the page's bytes made once, and a hit's headers (ETag,
  // Last-Modified, x-cache, Age); against /cached it tells Larder's own cost from the response's.
  app.get('/hit-shaped', async (_request, reply) =>
    reply.type('text/html').headers(HIT_HEADERS).send(pageBytes),
  );
  return app;
}

const expressApp = express();
larderExpress(expressApp);
expressApp.get('/plain', (_request, response) => void response.type('html').send(page.slice(0, -1) + page.slice(-1)));
expressApp.get('/cached', cacheResponse({ ttl: 300 }), (_request, response) => void response.type('html').send(page.slice(0, -1) + page.slice(-1)));
// As Fastify's: what an Express hit sends (Node's setHeader per header, then end with the page's
// bytes), from a plain route; against /cached it tells Larder's own cost from the response's.
const EXPRESS_HIT_HEADERS = { 'content-type': 'text/html; charset=utf-8', ...HIT_HEADERS, 'content-length': String(pageBytes.length) };
expressApp.get('/hit-shaped', (_request, response) => {
  for (const [name, value] of Object.entries(EXPRESS_HIT_HEADERS)) response.setHeader(name, value);
  response.end(pageBytes);
});

const apicacheApp = express();
apicacheApp.get('/cached', apicache.middleware('5 minutes'), (_request, response) => void response.type('html').send(page.slice(0, -1) + page.slice(-1)));

await listenAndReportPorts({
  memory: await fastifyApp({ cache: new Cache({ backend: new MemoryBackend() }) }),
  near: await fastifyApp({ backend: new MemcachedBackend({ servers: memcached }), near: true, keyPrefix: 'profile-near/' }),
  memcached: await fastifyApp({ backend: new MemcachedBackend({ servers: memcached }), keyPrefix: 'profile-mc/' }),
  express: expressApp,
  apicache: apicacheApp,
});
