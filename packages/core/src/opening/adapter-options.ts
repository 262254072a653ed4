import type { MemcachedBackendOptions } from '../backends/memcached/memcached-backend.js';
import { openCacheSource, type BuiltCacheOptions, type CacheSource, type EnvSource, type OpenCacheSourceOptions, type OpenedCacheSource } from './cache-source.js';
import type { Cache } from '../cache.js';
import type { Backend } from '../types/backend.js';

/**
 * Where a framework adapter's cache comes from, as one options object beside the adapter's own
 * options (the Fastify plugin's `register` options, the Express `larder(app, options)`): at most
 * one of `cache`, `backend`, `servers`, `fromEnv`, else an in-memory cache; the Cache options
 * apply to a cache built here, the memcached options to one built from `servers`.
 */
export interface AdapterCacheOptions extends BuiltCacheOptions, Partial<MemcachedBackendOptions> {
  /** A Cache you built (from any copy of @larder/core); used as is and never closed by the adapter. */
  cache?: Cache;
  /** A backend for a Cache the adapter builds (and closes when it closes). */
  backend?: Backend;
  /** Build the Cache from MEMCACHIER_* / MEMCACHED_* variables; a string reads `<PREFIX>_MEMCACHED_*` first. */
  fromEnv?: boolean | string;
  /** With `fromEnv`: the environment to read (default `process.env`). */
  env?: EnvSource['env'];
  /** With `fromEnv`: memcached options used when the environment names servers. */
  memcached?: EnvSource['memcached'];
}

/**
 * The cache an adapter's options name (see AdapterCacheOptions), through `openCacheSource` with an
 * in-memory cache when none is named. `own`: the adapter's own option names, left out of the
 * source; `fromEnv: false` says "not from the environment" and is left out too.
 */
export function openAdapterCache(options: AdapterCacheOptions, own: ReadonlySet<string>, open: Omit<OpenCacheSourceOptions, 'memoryWhenEmpty'>): OpenedCacheSource {
  const source: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (own.has(name) || (name === 'fromEnv' && value === false)) continue;
    source[name] = value;
  }
  return openCacheSource(source as unknown as CacheSource, { ...open, memoryWhenEmpty: true });
}
