import { cacheResponse, type LarderExpress } from '@larder/express';
import type { MemcachedStore } from '@larder/session-store';
import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import type { CatalogService } from './catalog-service.js';
import { liveStats, type RecentFailure, type StatsSample } from '../../app/src/live-stats.js';
import { SESSION_COOKIE } from './sessions.js';

/** What the routes use. */
export interface RouteDependencies {
  larder: LarderExpress;
  catalog: CatalogService;
  sessions: MemcachedStore;
  /** Larder's Prometheus metrics (served at /metrics, shown live at /stats). */
  registry: Registry;
  failures: readonly RecentFailure[];
  /** The last minute of per-second readings the chart opens with. */
  history: { readonly samples: readonly StatsSample[] };
}

/** The example's pages: home (cached fragment), catalog (cached page), login/logout, stats. */
export function registerRoutes(app: Express, { larder, catalog, sessions, registry, failures, history }: RouteDependencies): void {
  app.get('/', async (req, res) => {
    res.render('home.njk', {
      title: 'Home',
      user: req.session.user,
      // Read by the cached fragment only when it renders; the memoized call is itself cached.
      bestSellers: await catalog.bestSellers(3),
      renderedAt: new Date().toISOString(),
    });
  });

  // Cached whole for a minute. The page names a signed-in visitor, so their requests bypass the
  // cache (x-cache: BYPASS, Vary: Cookie) and are never stored: guests share one entry.
  app.get('/catalog', cacheResponse({ ttl: 60 }), async (req, res) => {
    res.render('catalog.njk', { title: 'Catalog', user: req.session.user, products: await catalog.all(), renderedAt: new Date().toISOString() });
  });

  app.get('/login', (req, res) => res.render('login.njk', { title: 'Log in', user: req.session.user }));

  app.post('/login', express.urlencoded({ extended: false, limit: '2kb' }), (req, res, next) => {
    const name = String((req.body as { name?: unknown } | undefined)?.name ?? '').trim().slice(0, 40);
    if (!name) return void res.status(400).render('login.njk', { title: 'Log in' });
    // A new session id at login, so an id planted before it is worth nothing after.
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.user = name;
      // Saved before answering, so a login the store could not keep fails here instead of later.
      req.session.save((saveError) => (saveError ? next(saveError) : res.redirect(303, '/')));
    });
  });

  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => {
      if (error) return next(error);
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      res.redirect(303, '/');
    });
  });

  app.get('/square/:n', async (req, res) => {
    if (!/^\d{1,9}$/.test(req.params.n)) return void res.status(400).json({ error: 'n must be a whole number below 10^9' });
    const n = Number(req.params.n);
    res.json(await larder.cache.getOrSet(`square:${n}`, async () => ({ n, square: n * n, computedAt: new Date().toISOString() }), '1m'));
  });

  // The live page: its numbers come from /stats.json, itself read from the registry /metrics serves
  // (the per-route table from the view cache's own counters, which also count 304s).
  const current = async () => ({
    ...(await liveStats(registry, larder.cache.backend.name, failures)),
    views: larder.viewCacheStats(),
    sessionStore: sessions.stats(),
    lookups: catalog.lookups,
  });
  app.get('/stats', async (req, res) => {
    const stats = await current();
    res.render('stats.njk', { title: 'Stats', user: req.session.user, stats, history: JSON.stringify(history.samples) });
  });
  app.get('/stats.json', async (_req, res) => {
    res.set('cache-control', 'no-store').json(await current());
  });
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
}
