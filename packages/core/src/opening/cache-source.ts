import { MemcachedBackend, type MemcachedBackendOptions } from '../backends/memcached/memcached-backend.js';
import { MemoryBackend } from '../backends/memory-backend.js';
import { CACHE_BRAND, CACHE_BRAND_VERSION } from '../cache-brand.js';
import { describe } from '../options/cache-option-checks.js';
import { Cache } from '../cache.js';
import { CACHE_OPTION_NAMES, type CacheOptions } from '../options/cache-options.js';
import { MEMCACHED_OPTIONS } from '../backends/memcached/memcached-options.js';
import { OptionNames } from '../option-names.js';
import { InvalidOptionError } from '../errors.js';
import type { CacheLogger } from '../failure-log.js';
import { cacheFromEnv } from './from-env.js';
import type { Backend } from '../types/backend.js';

/** Options of a Cache that a source builds: everything a Cache takes but its backend. */
export type BuiltCacheOptions = Omit<CacheOptions, 'backend'>;

/** A Cache you built, wrapped: used as is and never closed by whoever opens the source. */
export interface GivenCacheSource {
  /** A Cache from @larder/core (any copy of the package: see `isCache`). */
  readonly cache: Cache;
}

/** A backend for a Cache built from the source (closed, with its backend, by whoever opened it). */
export interface BackendSource extends BuiltCacheOptions {
  /** Where values live, for example `new MemoryBackend({ maxItems })`. */
  readonly backend: Backend;
}

/** memcached servers (and the memcached and Cache options) for a Cache built from the source. */
export interface ServersSource extends BuiltCacheOptions, MemcachedBackendOptions {}

/** A Cache built by `cacheFromEnv`: memcached from `MEMCACHIER_*` / `MEMCACHED_*`, else memory. */
export interface EnvSource extends BuiltCacheOptions {
  /** `true`, or a prefix so that `<PREFIX>_MEMCACHED_SERVERS` is read first. */
  readonly fromEnv: true | string;
  /** The environment to read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** memcached options used when the environment names servers. */
  readonly memcached?: Omit<MemcachedBackendOptions, 'servers' | 'username' | 'password'>;
}

/** Where a cache comes from: a Cache, `{ cache }`, `{ backend }`, `{ servers }` or `{ fromEnv }`. */
export type CacheSource = Cache | GivenCacheSource | BackendSource | ServersSource | EnvSource;

/** Which form a source took (`memory`: none, with `memoryWhenEmpty`). */
export type CacheSourceKind = 'cache' | 'backend' | 'servers' | 'fromEnv' | 'memory';

/** Options of `openCacheSource`. */
export interface OpenCacheSourceOptions {
  /** Logger of a Cache the source builds, unless the source names one (default `console`). */
  logger?: CacheLogger;
  /** Cache options of a built Cache that the source's own options override. */
  defaults?: BuiltCacheOptions;
  /** A source with none of `cache`, `backend`, `servers`, `fromEnv` is a Cache on a new MemoryBackend (default false: an error). */
  memoryWhenEmpty?: boolean;
}

/** The Cache a source names, whether the caller owns it (and so closes it), and the form it took. */
export interface OpenedCacheSource {
  /** The cache to use. */
  readonly cache: Cache;
  /** True when it was built from the source: the caller closes it; false for a given Cache, never closed. */
  readonly owned: boolean;
  /** The form of the source. */
  readonly kind: CacheSourceKind;
}

const FORMS = 'a Cache, { cache }, { backend }, { servers } or { fromEnv }';
const MARKERS = ['cache', 'backend', 'servers', 'fromEnv'] as const;

const CACHE_OPTIONS = CACHE_OPTION_NAMES.filter((name) => name !== 'backend');
const ENV_OPTIONS = ['fromEnv', 'env', 'memcached'] as const;
const OPEN_OPTIONS = new OptionNames('openCacheSource', ['logger', 'defaults', 'memoryWhenEmpty']);

/**
 * True for a Cache built by any copy of @larder/core loaded in this process. The rule: a
 * Cache is recognised by its brand, `Symbol.for('larder.cache')` set to the Cache contract
 * version (1), not by `instanceof`, which fails for a Cache from a second copy of the package
 * (two versions installed side by side, or one bundled into an app and one in node_modules).
 */
export function isCache(value: unknown): value is Cache {
  return typeof value === 'object' && value !== null && (value as { [CACHE_BRAND]?: unknown })[CACHE_BRAND] === CACHE_BRAND_VERSION;
}

/**
 * Opens a cache source, the one way the Fastify plugin and the session store turn what a user
 * gives them into a Cache: a Cache or `{ cache }` is used as is (`owned: false`: never close
 * it); `{ backend, ...cacheOptions }`, `{ servers, username?, password?, ...memcachedOptions,
 * ...cacheOptions }` and `{ fromEnv, env?, memcached?, ...cacheOptions }` build a Cache the
 * caller owns and closes. Throws InvalidOptionError naming the option for anything else.
 */
export function openCacheSource(source: CacheSource, options: OpenCacheSourceOptions = {}): OpenedCacheSource {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', `openCacheSource options must be an object, got ${describe(options)}`);
  OPEN_OPTIONS.check(options);
  if (isCache(source)) return { cache: source, owned: false, kind: 'cache' };
  if (source === null || typeof source !== 'object' || Array.isArray(source)) {
    throw new InvalidOptionError('source', `must be ${FORMS}, got ${describe(source)}`);
  }
  if (isForeignCache(source)) throw foreignCacheError('source', source);
  // An option set to undefined counts as not given, as with every other Larder option.
  const given = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined)) as Record<string, unknown>;
  const kinds = MARKERS.filter((marker) => marker in given);
  if (kinds.length > 1) {
    throw new InvalidOptionError(kinds[1]!, `cannot be combined with "${kinds[0]!}": give exactly one source of cache (${FORMS})`);
  }
  const kind = kinds[0];
  if (kind === 'cache') return openGiven(given);
  if (kind === undefined && !options.memoryWhenEmpty) throw new InvalidOptionError('source', `give exactly one of ${FORMS} (got none)`);
  const base: Record<string, unknown> = { ...(options.logger !== undefined ? { logger: options.logger } : {}), ...options.defaults };
  if (kind === 'fromEnv') return openEnv(given, base);
  if (kind === 'servers') return openServers(given, base);
  rejectUnknown(given, ['backend', ...CACHE_OPTIONS], kind === 'backend' ? '{ backend }' : 'cache');
  const backend = kind === 'backend' ? given.backend : new MemoryBackend();
  return { cache: new Cache({ ...base, ...given, backend } as CacheOptions), owned: true, kind: kind ?? 'memory' };
}

function openGiven(given: Record<string, unknown>): OpenedCacheSource {
  const { cache } = given;
  if (!isCache(cache)) {
    if (isForeignCache(cache)) throw foreignCacheError('cache', cache as object);
    throw new InvalidOptionError('cache', `must be a Cache from @larder/core, got ${describe(cache)}`);
  }
  for (const name of Object.keys(given)) {
    if (name !== 'cache') throw new InvalidOptionError(name, 'applies to a Cache built from a source; set it on the Cache you give as "cache"');
  }
  return { cache, owned: false, kind: 'cache' };
}

function openServers(given: Record<string, unknown>, base: Record<string, unknown>): OpenedCacheSource {
  rejectUnknown(given, [...MEMCACHED_OPTIONS, ...CACHE_OPTIONS], '{ servers }');
  const memcached: Record<string, unknown> = {};
  const cacheOptions: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(given)) {
    if ((MEMCACHED_OPTIONS as readonly string[]).includes(name)) memcached[name] = value;
    else cacheOptions[name] = value;
  }
  const backend = new MemcachedBackend(memcached as unknown as MemcachedBackendOptions);
  try {
    return { cache: new Cache({ ...cacheOptions, backend } as CacheOptions), owned: true, kind: 'servers' };
  } catch (error) {
    // The backend has no caller to close it once the Cache around it is refused.
    void backend.close().catch(() => {});
    throw error;
  }
}

function openEnv(given: Record<string, unknown>, base: Record<string, unknown>): OpenedCacheSource {
  rejectUnknown(given, [...ENV_OPTIONS, ...CACHE_OPTIONS], '{ fromEnv }');
  const { fromEnv, env, memcached, ...cacheOptions } = given;
  if (fromEnv !== true && (typeof fromEnv !== 'string' || fromEnv === '')) {
    throw new InvalidOptionError('fromEnv', `must be true or a non-empty variable prefix such as "MYAPP", got ${describe(fromEnv)}`);
  }
  for (const [name, value] of [['env', env], ['memcached', memcached]] as const) {
    if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new InvalidOptionError(name, `must be an object, got ${describe(value)}`);
    }
  }
  const cache = cacheFromEnv({
    ...base,
    ...cacheOptions,
    ...(typeof fromEnv === 'string' ? { prefix: fromEnv } : {}),
    ...(env !== undefined ? { env: env as Record<string, string | undefined> } : {}),
    ...(memcached !== undefined ? { memcached: memcached as EnvSource['memcached'] & object } : {}),
  });
  return { cache, owned: true, kind: 'fromEnv' };
}

function rejectUnknown(given: Record<string, unknown>, known: readonly string[], form: string): void {
  for (const name of Object.keys(given)) {
    if (known.includes(name)) continue;
    // A memcached option beside `backend`, or `env` without `fromEnv`: say where it belongs.
    const home = (ENV_OPTIONS as readonly string[]).includes(name) ? '{ fromEnv }' : (MEMCACHED_OPTIONS as readonly string[]).includes(name) ? '{ servers }' : undefined;
    if (home !== undefined) throw new InvalidOptionError(name, `applies to a ${home} source only, not to a ${form} source`);
    throw new InvalidOptionError(name, new OptionNames(`a ${form} source`, known).problem(name));
  }
}

function isForeignCache(value: unknown): boolean {
  return typeof value === 'object' && value !== null && CACHE_BRAND in value;
}

function foreignCacheError(option: string, value: object): InvalidOptionError {
  const version = String((value as { [CACHE_BRAND]?: unknown })[CACHE_BRAND]);
  return new InvalidOptionError(option, `is a Cache of an incompatible @larder/core (Cache contract ${version}; this copy accepts ${CACHE_BRAND_VERSION})`);
}
