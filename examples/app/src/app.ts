import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifySession from '@fastify/session';
import fastifyView from '@fastify/view';
import { cacheFromEnv, type Cache } from '@larder/core';
import larder, { addCacheExtension, type NunjucksEnvironment } from '@larder/fastify-plugin';
import { MemcachedStore } from '@larder/session-store';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import nunjucks from 'nunjucks';
import { larderMetrics } from '@larder/metrics/prometheus';
import { Registry } from 'prom-client';
import { CatalogService } from './catalog-service.js';
import { recentFailures } from './live-stats.js';
import { registerRoutes } from './routes.js';
import { showStoreDown } from './store-down.js';

declare module 'fastify' {
  interface Session {
    user?: string;
  }
}

/** Options of the example app; all optional. */
export interface ExampleAppOptions {
  /** The cache (default: from MEMCACHIER_* / MEMCACHED_* variables, else in memory). */
  cache?: Cache;
  /** Signs the session cookie (default: SESSION_SECRET, else a development secret). */
  sessionSecret?: string;
  /** Fastify's logger setting (default true). */
  logger?: FastifyServerOptions['logger'];
  /** Milliseconds each slow catalog lookup takes (default 300). */
  lookupDelayMs?: number;
}

const DEVELOPMENT_SECRET = 'larder example development secret: set SESSION_SECRET';
const views = fileURLToPath(new URL('../views', import.meta.url));

/** Builds the example shop: view-cached catalog, cached fragments, a memoized service, sessions in the cache. */
export async function buildApp(options: ExampleAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? true });
  // On memcached, hot pages and fragments are served from a near cache for up to 2 s (sessions never are).
  const cache = options.cache ?? cacheFromEnv({ prefix: 'example', keyPrefix: 'example:', logger: app.log, near: { ttl: '2s' } });
  await app.register(larder, { cache });
  app.addHook('onClose', async () => cache.close());

  const secret = options.sessionSecret ?? (process.env.SESSION_SECRET || DEVELOPMENT_SECRET);
  if (secret === DEVELOPMENT_SECRET) app.log.warn('example: SESSION_SECRET is not set; using the development secret');
  // Sessions are sealed at rest with the same secret (the store derives its own keys from it with HKDF).
  const sessions = new MemcachedStore({ cache }, { ttl: '1d', logger: app.log, secret });
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret,
    store: sessions,
    saveUninitialized: false,
    rolling: false,
    cookie: { secure: 'auto', httpOnly: true, sameSite: 'lax', maxAge: 7 * 86_400_000 },
  });
  await app.register(fastifyFormbody);
  await app.register(fastifyView, {
    engine: { nunjucks },
    root: views,
    options: {
      autoescape: true,
      tags: { blockStart: '<%', blockEnd: '%>' },
      onConfigure: (env: nunjucks.Environment) => addCacheExtension(env as unknown as NunjucksEnvironment, cache),
    },
  });

  // Larder's metrics in a registry of the app's own: /metrics serves it, the /stats page reads it.
  const registry = new Registry();
  const metrics = larderMetrics({ registry });
  metrics.observeCache(cache, { name: 'example' });
  metrics.observeViews(app, { name: 'example' });
  metrics.observeSessions(sessions, { name: 'example' });
  registerRoutes(app, { catalog: new CatalogService(options.lookupDelayMs), sessions, registry, failures: recentFailures(cache) });
  showStoreDown(app);
  return app;
}
