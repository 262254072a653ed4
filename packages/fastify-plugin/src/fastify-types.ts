import type { Cache } from '@larder/core';
import type { ViewCacheOption } from './view-cache/route-config.js';
import type { ViewRouteStats } from './view-cache/route-stats.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Larder Cache registered by `@larder/fastify-plugin`. */
    cache: Cache;
    /** What the view cache did for each cached route (hits, misses, stale, bypasses), a fresh snapshot. */
    viewCacheStats(): ViewRouteStats[];
  }
  interface FastifyContextConfig {
    /** Cache this route's whole responses (Flask-Caching's `@cache.cached()`). */
    cache?: ViewCacheOption;
  }
}
