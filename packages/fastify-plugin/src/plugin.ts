import { clearDefaultCache, InvalidOptionError, setDefaultCache } from '@larder/core';
import type { FastifyInstance, RouteOptions } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { addCacheExtension } from '@larder/nunjucks';
import { resolveCache, type LarderPluginOptions } from './options.js';
import { ResponseCache, toCacheRule, ViewStatsTable, type CacheRule } from '@larder/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fastifyAdapter } from './fastify-adapter.js';
import { viewCacheHooks, type ViewCacheHooks } from './view-hooks.js';
import { refuseUncachableMethod, watchRoutesDeclaredBefore } from './route-checks.js';

/** Internal (not exported by the package): the view cache of each app, so tests can read its memo size. */
export const viewCaches = new WeakMap<FastifyInstance, ResponseCache<FastifyRequest, FastifyReply>>();

async function larder(app: FastifyInstance, options: LarderPluginOptions): Promise<void> {
  if (app.hasDecorator('cache')) {
    throw new InvalidOptionError(
      'app',
      registered.has(app)
        ? '@larder/fastify-plugin is already registered on this app: register it once, at the root (child contexts see its app.cache)'
        : 'app.cache is already decorated by another plugin (@fastify/caching?): Larder cannot take its place',
    );
  }
  // Routes declared before this registration never pass through the onRoute hook below.
  const before = app.printRoutes() !== EMPTY_ROUTES;
  const { cache, owned, source } = resolveCache(options, app.log);
  registered.add(app);
  app.decorate('cache', cache);
  const makeDefault = options.setDefault ?? true;
  if (makeDefault) setDefaultCache(cache);
  if (options.nunjucks) addCacheExtension(options.nunjucks, cache);
  const views = new ResponseCache(cache, fastifyAdapter, { logger: app.log, inject: (request) => app.inject(request) });
  viewCaches.set(app, views);
  const viewStats = new ViewStatsTable();
  app.decorate('viewCacheStats', () => viewStats.snapshot());

  const seen = new Set<string>();
  app.addHook('onRoute', function larderViewCacheRoute(route: RouteOptions) {
    const setting: unknown = route.config?.cache;
    if (setting === undefined || setting === false) return;
    refuseUncachableMethod(route);
    seen.add(`${String(route.method)} ${route.url}`);
    const rule: CacheRule<FastifyRequest> | undefined = toCacheRule(setting, { option: 'config.cache', route: `${String(route.method)} ${route.url}`, pattern: route.url }, cache.recompute, viewStats);
    if (rule) attachHooks(route, viewCacheHooks(views, rule));
  });
  if (before) watchRoutesDeclaredBefore(app, seen);

  app.addHook('onClose', async function larderClose() {
    await views.drain();
    if (makeDefault) clearDefaultCache(cache);
    if (owned) await cache.close();
  });

  app.log.info(`larder: caching on ${source}`);
}

function attachHooks(route: RouteOptions, hooks: ViewCacheHooks): void {
  // The lookup runs after every other preHandler (authentication still applies to a hit), and
  // the store before the route's other onSend hooks: what is stored is what the handler sent, as
  // Flask-Caching stores what the view returned, and the route's onSend hooks (@fastify/compress's
  // among them) run on every answer, hits as misses, so a hit is compressed for the client that
  // asks, never stored compressed, and a hook that changes the body does not change it twice.
  // App-wide hooks (addHook) always run before route hooks.
  route.preHandler = [...toArray(route.preHandler), hooks.preHandler];
  route.onSend = [hooks.onSend, ...toArray(route.onSend)];
  // Plugins registered after this one run their onRoute hooks after this one, in the same
  // synchronous loop, and may add route hooks of their own (authentication, rate limits,
  // compression). Fastify reads a route's hooks only when the app gets ready, so once that loop
  // is over the lookup moves back to the end and the store to the front.
  queueMicrotask(() => {
    route.preHandler = moveLast(route.preHandler, hooks.preHandler);
    route.onSend = [hooks.onSend, ...toArray(route.onSend).filter((hook) => hook !== hooks.onSend)];
  });
}

function moveLast<T>(hooks: T | T[] | undefined, hook: T): T[] {
  return [...toArray(hooks).filter((other) => other !== hook), hook];
}

function toArray<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}

/** What `printRoutes()` answers for an app without routes. */
const EMPTY_ROUTES = '(empty tree)';

/** The apps (contexts) Larder was registered on, to tell a second registration from another plugin's `app.cache`. */
const registered = new WeakSet<FastifyInstance>();

/** The Larder plugin: `await app.register(larderPlugin, options)` gives `app.cache` and route view caching. */
export const larderPlugin = fastifyPlugin(larder, { name: '@larder/fastify-plugin', fastify: '5.x' });
