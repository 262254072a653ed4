import type { MemcachedStore } from '@larder/session-store';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { CatalogService } from './catalog-service.js';
import { liveStats, statsHistory, type RecentFailure } from './live-stats.js';

/** What the routes use. */
export interface RouteDependencies {
  catalog: CatalogService;
  sessions: MemcachedStore;
  /** Larder's Prometheus metrics (served at /metrics, shown live at /stats). */
  registry: Registry;
  failures: readonly RecentFailure[];
}

/** The example's pages: home (cached fragment), catalog (cached page), login/logout, stats. */
export function registerRoutes(app: FastifyInstance, { catalog, sessions, registry, failures }: RouteDependencies): void {
  app.get('/', async (request, reply) =>
    reply.view('home.njk', {
      title: 'Home',
      user: request.session.user,
      // Read by the cached fragment only when it renders; the memoized call is itself cached.
      bestSellers: await catalog.bestSellers(3),
      renderedAt: new Date().toISOString(),
    }),
  );

  // The catalog shows nothing of the visitor (the layout's `public` branch), so signed-in visitors
  // may share its entry: without shareSessions their requests would bypass the cache.
  app.get('/catalog', { config: { cache: { ttl: 60, shareSessions: true } } }, async (_request, reply) =>
    reply.view('catalog.njk', { title: 'Catalog', public: true, products: await catalog.all(), renderedAt: new Date().toISOString() }),
  );

  app.get('/login', async (request, reply) => reply.view('login.njk', { title: 'Log in', user: request.session.user }));

  app.post<{ Body: { name?: string } }>('/login', async (request, reply) => {
    const name = String(request.body?.name ?? '').trim().slice(0, 40);
    if (!name) return reply.code(400).view('login.njk', { title: 'Log in' });
    await request.session.regenerate();
    request.session.user = name;
    return reply.redirect('/', 303);
  });

  app.post('/logout', async (request, reply) => {
    await request.session.destroy();
    return reply.redirect('/', 303);
  });

  app.get('/square/:n', async (request) => {
    const n = Number((request.params as { n: string }).n);
    return app.cache.getOrSet(`square:${n}`, async () => ({ n, square: n * n, computedAt: new Date().toISOString() }), '1m');
  });

  // The live page: its numbers come from /stats.json, itself read from the registry /metrics serves;
  // the chart opens with the last minute of per-second readings taken in the background.
  const history = statsHistory(async () => (await liveStats(registry, app.cache.backend.name, failures)).cache);
  app.addHook('onClose', async function stopStatsHistory() {
    history.stop();
  });
  app.get('/stats', async (request, reply) =>
    reply.view('stats.njk', {
      title: 'Stats',
      user: request.session.user,
      stats: await liveStats(registry, app.cache.backend.name, failures),
      history: JSON.stringify(history.samples),
      lookups: catalog.lookups,
    }),
  );
  app.get('/stats.json', async () => ({ ...(await liveStats(registry, app.cache.backend.name, failures)), lookups: catalog.lookups, store: sessions.stats() }));
  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}
