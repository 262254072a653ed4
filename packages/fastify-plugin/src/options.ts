import { Cache, cacheFromEnv, InvalidOptionError, type Backend, type CacheLogger, type Ttl } from '@larder/core';
import type { NunjucksEnvironment } from './nunjucks/cache-extension.js';

/** Options of `app.register(larder, options)`; with none of `cache`, `backend`, `fromEnv`, an in-memory cache. */
export interface LarderPluginOptions {
  /** A Cache you built; the plugin uses it as is and never closes it. */
  cache?: Cache;
  /** A backend for a Cache the plugin builds (and closes on `app.close()`). */
  backend?: Backend;
  /** Prefix of every key of the Cache the plugin builds (default `''`). */
  keyPrefix?: string;
  /** Default TTL of the Cache the plugin builds: seconds or `'5m'` (default 300). */
  defaultTtl?: Ttl;
  /** Build the Cache from MEMCACHIER_* / MEMCACHED_* variables; a string reads `<PREFIX>_MEMCACHED_*` first. */
  fromEnv?: boolean | string;
  /** A nunjucks Environment to give the `{% cache %}` tag (see `addCacheExtension`). */
  nunjucks?: NunjucksEnvironment;
  /** Make this cache the one `@memoize()` uses when given none (default true). */
  setDefault?: boolean;
}

/** The Cache the plugin serves and whether the plugin owns it (and so closes it). */
export interface ResolvedCache {
  cache: Cache;
  owned: boolean;
  source: string;
}

const KNOWN = new Set(['cache', 'backend', 'keyPrefix', 'defaultTtl', 'fromEnv', 'nunjucks', 'setDefault']);
/** Options Fastify's `register` itself reads and passes along to every plugin. */
const FASTIFY_REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers']);

/** Validates the options and builds (or takes) the Cache; throws InvalidOptionError naming the option. */
export function resolveCache(options: LarderPluginOptions, logger: CacheLogger): ResolvedCache {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'must be an object');
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name) && !FASTIFY_REGISTER_OPTIONS.has(name)) throw new InvalidOptionError(name, `is not a @larder/fastify-plugin option (known: ${[...KNOWN].join(', ')})`);
  }
  const { cache, backend, keyPrefix, defaultTtl, fromEnv } = options;
  if (options.setDefault !== undefined && typeof options.setDefault !== 'boolean') throw new InvalidOptionError('setDefault', 'must be a boolean');
  if (fromEnv !== undefined && typeof fromEnv !== 'boolean' && (typeof fromEnv !== 'string' || fromEnv === '')) {
    throw new InvalidOptionError('fromEnv', 'must be true or a non-empty variable prefix such as "MYAPP"');
  }
  const sources = [cache !== undefined && 'cache', backend !== undefined && 'backend', fromEnv && 'fromEnv'].filter(Boolean);
  if (sources.length > 1) throw new InvalidOptionError(String(sources[1]), `cannot be combined with "${String(sources[0])}": give one source of cache`);
  if (cache !== undefined) {
    if (!(cache instanceof Cache)) throw new InvalidOptionError('cache', 'must be a Cache from @larder/core');
    if (keyPrefix !== undefined || defaultTtl !== undefined) {
      throw new InvalidOptionError(keyPrefix !== undefined ? 'keyPrefix' : 'defaultTtl', 'applies to a Cache the plugin builds; set it on the Cache you pass as "cache"');
    }
    return { cache, owned: false, source: `the given Cache on ${cache.backend.name}` };
  }
  const shared = { logger, ...(keyPrefix !== undefined ? { keyPrefix } : {}), ...(defaultTtl !== undefined ? { defaultTtl } : {}) };
  if (fromEnv) {
    const built = cacheFromEnv({ ...shared, ...(typeof fromEnv === 'string' ? { prefix: fromEnv } : {}) });
    return { cache: built, owned: true, source: `${built.backend.name} (from the environment)` };
  }
  if (backend !== undefined && (backend === null || typeof backend !== 'object' || typeof backend.get !== 'function')) {
    throw new InvalidOptionError('backend', 'must be a Backend such as new MemcachedBackend({ servers })');
  }
  const built = new Cache({ ...shared, ...(backend !== undefined ? { backend } : {}) });
  return { cache: built, owned: true, source: built.backend.name };
}
