import type { CacheLogger } from '@larder/core';
import { larder, type LarderExpress } from '@larder/express';
import type { MemcachedStore } from '@larder/session-store';
import { larderMetrics } from '@larder/metrics/prometheus';
import express, { type Express } from 'express';
import { Registry } from 'prom-client';
import { CatalogService } from './catalog-service.js';
import { liveStats, recentFailures, statsHistory } from '../../app/src/live-stats.js';
import { registerRoutes } from './routes.js';
import { sessions } from './sessions.js';
import { showStoreDown } from './store-down.js';
import { configureViews } from './views.js';

/** Options of the example app; all optional. */
export interface ExampleAppOptions {
  /** Where MEMCACHIER_* / EXAMPLE_MEMCACHED_* / MEMCACHED_* are read (default `process.env`); none set: the in-memory backend. */
  env?: NodeJS.ProcessEnv;
  /** Signs the session cookie and seals the stored sessions (default: SESSION_SECRET of `env`, else a development secret). */
  sessionSecret?: string;
  /** Where the cache and the session store log (default: plain `warn: ...` lines on standard error, as the Fastify shop logs). */
  logger?: CacheLogger;
  /** Milliseconds each slow catalog lookup takes (default 300). */
  lookupDelayMs?: number;
}

/** The built app and what it holds open. */
export interface ExampleApp {
  /** The Express app, a request listener for `http.createServer`. */
  readonly app: Express;
  /** Larder's handle: the cache, the view cache's counters. */
  readonly larder: LarderExpress;
  /** The slow service behind the pages (its `lookups` say how often it really ran). */
  readonly catalog: CatalogService;
  /** Where sessions live. */
  readonly sessions: MemcachedStore;
  /** Waits for the cache's pending writes, then closes the store and the cache (after the HTTP server stops). */
  close(): Promise<void>;
}

const DEVELOPMENT_SECRET = 'larder example development secret: set SESSION_SECRET';
/** Plain lines on stderr, so stdout holds just the URL line and a terminal stays readable. */
const STDERR_LOGGER: CacheLogger = { warn: (message) => void process.stderr.write(`warn: ${message}\n`) };

/** Builds the example shop on Express 5: a cached catalog page, a cached fragment over a memoized service, sessions in the cache. */
export function buildApp(options: ExampleAppOptions = {}): ExampleApp {
  const env = options.env ?? process.env;
  const logger = options.logger ?? STDERR_LOGGER;
  const app = express();
  app.disable('x-powered-by');
  // The cache comes from the environment, and becomes the default cache of @memoize().
  // On memcached, hot pages and fragments are served from a near cache for up to 2 s (sessions never are).
  const cached = larder(app, { fromEnv: 'example', env, keyPrefix: 'example:', near: { ttl: '2s' }, logger });

  const secret = options.sessionSecret ?? (env.SESSION_SECRET || DEVELOPMENT_SECRET);
  if (secret === DEVELOPMENT_SECRET) logger.warn('example: SESSION_SECRET is not set; using the development secret');
  const { middleware, store } = sessions(cached.cache, secret, logger);
  // Before the cached routes: cacheResponse() must see req.session to let signed-in visitors bypass the cache.
  app.use(middleware);
  configureViews(app, cached.cache);

  // Larder's metrics in a registry of the app's own: /metrics serves it, the /stats page reads it.
  const registry = new Registry();
  const metrics = larderMetrics({ registry });
  metrics.observeCache(cached.cache, { name: 'example' });
  metrics.observeViews(cached, { name: 'example' });
  metrics.observeSessions(store, { name: 'example' });
  const failures = recentFailures(cached.cache);
  // The chart opens with the last minute of per-second readings taken in the background.
  const history = statsHistory(async () => (await liveStats(registry, cached.cache.backend.name, failures)).cache);

  const catalog = new CatalogService(options.lookupDelayMs);
  registerRoutes(app, { larder: cached, catalog, sessions: store, registry, failures, history });
  showStoreDown(app);
  return {
    app,
    larder: cached,
    catalog,
    sessions: store,
    close: async () => {
      history.stop();
      await store.close();
      await cached.close();
    },
  };
}
