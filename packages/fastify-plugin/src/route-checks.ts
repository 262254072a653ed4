import { InvalidOptionError } from '@larder/core';
import type { FastifyInstance, RouteOptions } from 'fastify';

/** Refuses `config.cache` on a route that answers another method than GET and HEAD: only their responses are cached, so the setting could never take effect. */
export function refuseUncachableMethod(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const other = methods.find((method) => method !== 'GET' && method !== 'HEAD');
  if (other === undefined) return;
  throw new InvalidOptionError('config.cache', `is set on route ${methods.join(',')} ${route.url}, but only GET and HEAD responses are cached: declare the cache on the GET route`);
}

/**
 * The app had routes before Larder was registered: their `config.cache` was never seen (Fastify
 * runs onRoute hooks only for routes declared after them). An app-wide preHandler, added only in
 * this case, says so once per such route when it is first requested: `seen` holds the routes
 * Larder did see, as `METHOD url`.
 */
export function watchRoutesDeclaredBefore(app: FastifyInstance, seen: ReadonlySet<string>): void {
  const told = new Set<string>();
  app.addHook('preHandler', function larderUnseenRoute(request, _reply, done) {
    const route = request.routeOptions;
    const name = `${String(route.method)} ${route.url}`;
    if (route.url !== undefined && route.config?.cache !== undefined && route.config.cache !== false && !seen.has(name) && !told.has(name)) {
      told.add(name);
      request.log.warn(`larder: route ${name} has config.cache but is not cached: it was declared before app.register(larder); register the plugin before declaring routes`);
    }
    done();
  });
}
