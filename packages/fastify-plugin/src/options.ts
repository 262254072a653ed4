import {
  InvalidOptionError,
  openCacheSource,
  type Backend,
  type BuiltCacheOptions,
  type Cache,
  type CacheLogger,
  type CacheSource,
  type EnvSource,
  type MemcachedBackendOptions,
} from '@larder/core';
import type { NunjucksEnvironment } from '@larder/nunjucks';

/**
 * Options of `app.register(larder, options)`. The cache comes from at most one of `cache`,
 * `backend`, `servers`, `fromEnv` (the forms of `openCacheSource` in @larder/core); with none of
 * them, an in-memory cache. Cache options (`keyPrefix`, `defaultTtl`...) apply to a cache the
 * plugin builds, memcached options (`timeout`, `failureLimit`...) to one built from `servers`.
 */
export interface LarderPluginOptions extends BuiltCacheOptions, Partial<MemcachedBackendOptions> {
  /** A Cache you built (from any copy of @larder/core); the plugin uses it as is and never closes it. */
  cache?: Cache;
  /** A backend for a Cache the plugin builds (and closes on `app.close()`). */
  backend?: Backend;
  /** Build the Cache from MEMCACHIER_* / MEMCACHED_* variables; a string reads `<PREFIX>_MEMCACHED_*` first. */
  fromEnv?: boolean | string;
  /** With `fromEnv`: the environment to read (default `process.env`). */
  env?: EnvSource['env'];
  /** With `fromEnv`: memcached options used when the environment names servers. */
  memcached?: EnvSource['memcached'];
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

/** Options Fastify's `register` itself reads and passes along to every plugin. */
const FASTIFY_REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers'];

/** Validates the options and builds (or takes) the Cache; throws InvalidOptionError naming the option. */
export function resolveCache(options: LarderPluginOptions, logger: CacheLogger): ResolvedCache {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'must be an object');
  if (options.setDefault !== undefined && typeof options.setDefault !== 'boolean') throw new InvalidOptionError('setDefault', 'must be a boolean');
  const source: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (name === 'nunjucks' || name === 'setDefault' || FASTIFY_REGISTER_OPTIONS.includes(name)) continue;
    // `fromEnv: false` is the plugin's way to say "not from the environment".
    if (name === 'fromEnv' && value === false) continue;
    source[name] = value;
  }
  const { cache, owned, kind } = openCacheSource(source as unknown as CacheSource, { logger, memoryWhenEmpty: true });
  const described =
    kind === 'cache' ? `the given Cache on ${cache.backend.name}` : kind === 'fromEnv' ? `${cache.backend.name} (from the environment)` : cache.backend.name;
  return { cache, owned, source: described };
}
