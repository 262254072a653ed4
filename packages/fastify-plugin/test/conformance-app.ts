import type { Cache } from '@larder/core';
import { memcachedConformanceCache as onMemcached, type ConformanceCache, type ConformanceRoute, type ConformanceSession, type StartedApp } from '@larder/http/conformance';
import { MemcachedServer } from '@larder/testing';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import larder from '../src/index.js';
import { listen } from './http-client.js';

/** A Cache on a memcached of its own, started for the run (see @larder/http/conformance). */
export async function memcachedConformanceCache(): Promise<ConformanceCache> {
  return onMemcached(await MemcachedServer.start());
}

/** Plugins an app runs under (@fastify/session, @fastify/helmet, ...), registered before Larder and the routes, and how a handler reaches its session. */
export interface FastifyStack {
  readonly name: string;
  /** Registers the stack's plugins on `app`. */
  register(app: FastifyInstance): Promise<void>;
  /** The request's session, as conformance handlers read and write it; undefined without a session plugin. */
  session?(request: FastifyRequest): ConformanceSession | undefined;
}

/** No plugin: the bare app. */
export const BARE: FastifyStack = { name: 'bare', register: async () => {} };

/** Declares one neutral route: `config: { cache }` (when it has settings) and a handler that sends what the suite's handler answers. */
function declare(app: FastifyInstance, route: ConformanceRoute, stack: FastifyStack): void {
  app.route({
    method: route.method,
    url: route.path,
    config: route.settings === undefined ? {} : { cache: route.settings },
    handler: async (request, reply) => {
      const params = request.params as Record<string, string>;
      const session = stack.session?.(request);
      const answer = await route.handle({ method: request.method, url: request.url, params, headers: request.headers, ...(session ? { session } : {}) });
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    },
  });
}

/** Starts a Fastify app under `stack` with Larder on `cache` and the suite's routes, on a free loopback port. */
export async function startConformanceApp(routes: readonly ConformanceRoute[], cache: Cache, stack: FastifyStack = BARE): Promise<StartedApp> {
  const app = Fastify();
  await stack.register(app);
  await app.register(larder, { cache, setDefault: false });
  for (const route of routes) declare(app, route, stack);
  const base = await listen(app);
  return { base, close: () => app.close() };
}
