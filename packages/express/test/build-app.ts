import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cache } from '@larder/core';
import { viewKey } from '@larder/http';
import { memcachedConformanceCache as onMemcached, memoryConformanceCache, type ConformanceCache, type ConformanceRoute, type ConformanceSession, type StartedApp } from '@larder/http/conformance';
import { MemcachedServer } from '@larder/testing';
import express from 'express';
import express4 from 'express4';
import { cacheResponse, larder, type ExpressAppLike, type LarderExpressOptions } from '../src/index.js';

/** A quiet logger for caches under test. */
export const quiet = { warn: () => {} };

/** An Express major under test: how to make an app and how it spells a trailing wildcard segment. */
export interface ExpressVersion {
  name: string;
  make(): express.Express;
  /** The pattern of a last segment that matches the rest of the path (Express 4 `*`, Express 5 a named `*rest`). */
  wildcard: string;
}

/** Express 5 (`express`) and Express 4 (`express4`), both devDependencies. */
export const expressVersions: readonly ExpressVersion[] = [
  { name: 'Express 5', make: () => express(), wildcard: '*rest' },
  { name: 'Express 4', make: () => express4(), wildcard: '*' },
];

/** The caches every suite runs on: memory (fake clock) and a real memcached from the harness. */
export const suiteCaches: ReadonlyArray<readonly [name: string, open: () => Promise<ConformanceCache>]> = [
  ['memory', memoryConformanceCache],
  ['memcached', memcachedConformanceCache],
];

/** A Cache on a memcached of its own, started for the run (see @larder/http/conformance). */
export async function memcachedConformanceCache(): Promise<ConformanceCache> {
  return onMemcached(await MemcachedServer.start());
}

/** Resolves once `path`'s page is in the cache: a miss answers before its page is written (in the background). */
export async function stored(cache: Cache, path: string): Promise<void> {
  for (let wait = 5; !(await cache.has(viewKey(path))); wait = Math.min(wait * 2, 100)) {
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** Serves `app` on a free loopback port: its base URL, and a close that waits for the server to stop. */
export async function listen(app: ExpressAppLike): Promise<{ base: string; close(): Promise<void> }> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** A middleware stack an app runs under (express-session, helmet, ...), mounted before the routes, and how a handler reaches its session. */
export interface ExpressStack {
  readonly name: string;
  /** Mounts the stack's middlewares on `app`. */
  mount(app: express.Express): void;
  /** The request's session, as conformance handlers read and write it; undefined without a session middleware. */
  session?(request: express.Request): ConformanceSession | undefined;
}

/** No middleware: the bare app. */
export const BARE: ExpressStack = { name: 'bare', mount: () => {} };

/** Declares one neutral route: `cacheResponse(settings)` (when it has settings) before a handler that sends what the suite's handler answers. */
function declare(app: express.Express, version: ExpressVersion, route: ConformanceRoute, stack: ExpressStack): void {
  const path = route.path.endsWith('/*') ? `${route.path.slice(0, -1)}${version.wildcard}` : route.path;
  const handler: express.RequestHandler = (request, response, next) => {
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.params)) if (typeof value === 'string') params[name] = value;
    const session = stack.session?.(request);
    // Express 4 does not catch a rejected handler: the promise is settled here for both.
    Promise.resolve(route.handle({ method: request.method, url: request.originalUrl, params, headers: request.headers, ...(session ? { session } : {}) })).then(
      // A 304 is ended as Express apps end one (res.send would give it an ETag of its empty body).
      (answer) => void (answer.status === 304 ? response.status(304).set(answer.headers).end() : response.status(answer.status).set(answer.headers).send(answer.body)),
      next,
    );
  };
  const cached = route.settings === undefined ? [] : [cacheResponse(route.settings)];
  if (route.method === 'POST') app.post(path, ...cached, handler);
  else app.get(path, ...cached, handler);
}

/** Starts an app of `version` under `stack` with Larder on `cache` and the suite's routes, on a free loopback port. */
export async function startConformanceApp(version: ExpressVersion, routes: readonly ConformanceRoute[], cache: Cache, stack: ExpressStack = BARE, options: LarderExpressOptions = {}): Promise<StartedApp> {
  const app = version.make();
  stack.mount(app);
  const installed = larder(app, { cache, setDefault: false, logger: quiet, ...options });
  for (const route of routes) declare(app, version, route, stack);
  const server = await listen(app);
  return {
    base: server.base,
    close: async () => {
      await server.close();
      await installed.close();
    },
  };
}
