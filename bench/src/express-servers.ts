// The server process of the Express benchmark: one Express 5 app per contender on loopback ports,
// each with the same handler at /page (res.send of the ~8 KB HTML page): a plain route, Larder's
// cacheResponse on the in-memory backend, apicache, and Larder on memcached. GET /calls on each
// app tells how many times its /page handler ran, so the benchmark can check that the caches cache.
// Prints its ports as one JSON line, then serves until stopped.
import express, { type Express } from 'express';
import apicache from 'apicache';
import { cacheResponse, larder, type ExpressMiddleware } from '@larder/express';
import { HIT_HEADERS, PAGE } from './http-body.js';
import { listenAndReportPorts } from './server-process.js';

const memcached = process.env.BENCH_MEMCACHED;
if (!memcached) throw new Error('BENCH_MEMCACHED (host:port) is required');

/** An Express app serving the page at /page behind the middleware `setup` returns (none: the plain route), its handler's call count at /calls. */
function pageApp(setup: (app: Express) => ExpressMiddleware[]): Express {
  const app = express();
  const caches = setup(app);
  let calls = 0;
  app.get('/page', ...caches, (_request, response) => {
    calls++;
    response.send(PAGE);
  });
  app.get('/calls', (_request, response) => void response.json({ calls }));
  return app;
}

/** A plain route sending what a Larder hit sends: the page's bytes made once and a hit's headers, set one by one as a hit sets them. */
function hitShapedApp(): Express {
  const app = express();
  const bytes = Buffer.from(PAGE);
  const headers = { 'content-type': 'text/html; charset=utf-8', ...HIT_HEADERS, 'content-length': String(bytes.length) };
  app.get('/page', (_request, response) => {
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.end(bytes);
  });
  return app;
}

const apps = {
  plain: pageApp(() => []),
  hitShaped: hitShapedApp(),
  larder: pageApp((app) => {
    larder(app);
    return [cacheResponse({ ttl: 300 })];
  }),
  apicache: pageApp(() => [apicache.middleware('5 minutes')]),
  memcached: pageApp((app) => {
    // The memory app's cache stays the process's default one (for @memoize(), unused here).
    larder(app, { servers: memcached, setDefault: false });
    return [cacheResponse({ ttl: 300 })];
  }),
};
await listenAndReportPorts(apps);
