import type { Cache } from '@larder/core';
import type { ViewCacheOption } from './view-cache/route-config.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Larder Cache registered by `@larder/fastify-plugin`. */
    cache: Cache;
  }
  interface FastifyContextConfig {
    /** Cache this route's whole responses (Flask-Caching's `@cache.cached()`). */
    cache?: ViewCacheOption;
  }
}
