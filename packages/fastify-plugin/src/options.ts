import { InvalidOptionError, openAdapterCache, type AdapterCacheOptions, type Cache, type CacheLogger } from '@larder/core';
import type { NunjucksEnvironment } from '@larder/nunjucks';

/**
 * Options of `app.register(larder, options)`: where the cache comes from (core's
 * AdapterCacheOptions: at most one of `cache`, `backend`, `servers`, `fromEnv`, else an in-memory
 * cache; a cache given is never closed, one built here is closed on `app.close()`), and these.
 */
export interface LarderPluginOptions extends AdapterCacheOptions {
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

/** The plugin's own options, and the ones Fastify's `register` itself reads and passes along to every plugin: not the cache's. */
const NOT_CACHE_OPTIONS: ReadonlySet<string> = new Set(['nunjucks', 'setDefault', 'prefix', 'logLevel', 'logSerializers']);

/** Validates the options and builds (or takes) the Cache; throws InvalidOptionError naming the option. */
export function resolveCache(options: LarderPluginOptions, logger: CacheLogger): ResolvedCache {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'must be an object');
  if (options.setDefault !== undefined && typeof options.setDefault !== 'boolean') throw new InvalidOptionError('setDefault', 'must be a boolean');
  const { cache, owned, kind } = openAdapterCache(options, NOT_CACHE_OPTIONS, { logger });
  const described =
    kind === 'cache' ? `the given Cache on ${cache.backend.name}` : kind === 'fromEnv' ? `${cache.backend.name} (from the environment)` : cache.backend.name;
  return { cache, owned, source: described };
}
