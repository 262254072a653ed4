import type { Cache } from '@larder/core';
import type { ResponseCacheOption, ViewRouteStats } from '@larder/http';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Larder Cache registered by `@larder/fastify-plugin`. */
    cache: Cache;
    /** What the view cache did for each cached route (hits, misses, stale, bypasses), a fresh snapshot. */
    viewCacheStats(): ViewRouteStats[];
  }
  interface FastifyContextConfig {
    /** Cache this route's whole responses (Flask-Caching's `@cache.cached()`). */
    cache?: ResponseCacheOption<FastifyRequest>;
  }
}
