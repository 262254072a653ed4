import { Cache, cacheFromEnv, InvalidOptionError, MemcachedBackend, parseTtl, type CacheLogger, type Ttl } from '@larder/core';

/** Sessions in a Cache you built; the store uses it and never closes it. */
export interface CacheSource {
  /** The cache to keep sessions in (any backend; its own `keyPrefix` comes before the store's `prefix`). */
  readonly cache: Cache;
}

/** Sessions in memcached; the store builds the Cache and closes it on `close()`. */
export interface ServersSource {
  /** `host:port[:weight]` entries, as an array or one comma-separated string. */
  readonly servers: string | readonly string[];
  /** SASL username (MemCachier, `memcached -S`); needs `password`. */
  readonly username?: string;
  /** SASL password; needs `username`. */
  readonly password?: string;
  /** Milliseconds a memcached request may take (default 500). */
  readonly timeout?: number;
}

/** Sessions in the cache `cacheFromEnv` picks (memcached from `MEMCACHIER_*`/`MEMCACHED_*`, else memory); closed on `close()`. */
export interface EnvSource {
  /** `true`, or a prefix so that `<PREFIX>_MEMCACHED_SERVERS` is read first. */
  readonly fromEnv: true | string;
  /** The environment to read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Where a MemcachedStore keeps sessions. */
export type MemcachedStoreSource = CacheSource | ServersSource | EnvSource;

/** Options of a MemcachedStore. */
export interface MemcachedStoreOptions {
  /** Prepended to the session id to make its key (default `'sess:'`). */
  prefix?: string;
  /** Lifetime of a session whose cookie has no expiry: seconds or `'1d'`-style (default one day; 0 = no expiry). */
  ttl?: Ttl;
  /** Receives the store's warnings, one per burst (default `console`; Fastify's `app.log` fits). */
  logger?: CacheLogger;
}

/** The default key prefix, as Flask-Session's `session:` but shorter. */
export const DEFAULT_PREFIX = 'sess:';
/** The default lifetime of a session without a cookie expiry: one day, in seconds. */
export const DEFAULT_TTL = 86_400;

/** Options with their defaults applied and checked. */
export interface ResolvedStoreOptions {
  /** The key prefix. */
  readonly prefix: string;
  /** The fallback TTL in seconds. */
  readonly ttl: number;
  /** Where warnings go. */
  readonly logger: CacheLogger;
}

const OPTION_NAMES = ['prefix', 'ttl', 'logger'];
const SOURCE_KINDS = ['cache', 'servers', 'fromEnv'] as const;
const SOURCE_KEYS: Record<(typeof SOURCE_KINDS)[number], readonly string[]> = {
  cache: ['cache'],
  servers: ['servers', 'username', 'password', 'timeout'],
  fromEnv: ['fromEnv', 'env'],
};

/** Applies defaults and checks every option; throws InvalidOptionError naming the bad one. */
export function resolveStoreOptions(options: MemcachedStoreOptions | undefined): ResolvedStoreOptions {
  const given: unknown = options ?? {};
  if (typeof given !== 'object' || given === null) throw new InvalidOptionError('options', 'must be an object');
  rejectUnknown(given, OPTION_NAMES, 'MemcachedStore option');
  const { prefix = DEFAULT_PREFIX, ttl = DEFAULT_TTL, logger = console } = given as MemcachedStoreOptions;
  if (typeof prefix !== 'string') throw new InvalidOptionError('prefix', `must be a string, got ${typeof prefix}`);
  let seconds: number;
  try {
    seconds = parseTtl(ttl, 'ttl');
  } catch (error) {
    throw new InvalidOptionError('ttl', error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
    throw new InvalidOptionError('logger', 'must have a warn(message) method');
  }
  return { prefix, ttl: seconds, logger };
}

/** The cache a source names, and whether the store built it (and so closes it). */
export function openSource(source: MemcachedStoreSource, logger: CacheLogger): { cache: Cache; owned: boolean } {
  if (typeof source !== 'object' || source === null) {
    throw new InvalidOptionError('source', 'must be { cache }, { servers, username?, password?, timeout? } or { fromEnv }');
  }
  const kinds = SOURCE_KINDS.filter((kind) => kind in source);
  const kind = kinds[0];
  if (kind === undefined || kinds.length > 1) {
    throw new InvalidOptionError('source', `give exactly one of "cache", "servers" or "fromEnv" (got ${kinds.length ? kinds.join(', ') : 'none'})`);
  }
  rejectUnknown(source, SOURCE_KEYS[kind], `key of a { ${kind} } source`);
  if (kind === 'cache') {
    const { cache } = source as CacheSource;
    if (!looksLikeCache(cache)) throw new InvalidOptionError('cache', 'must be a Cache from @larder/core');
    return { cache, owned: false };
  }
  if (kind === 'servers') {
    const { servers, username, password, timeout } = source as ServersSource;
    const backend = new MemcachedBackend({
      servers,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
    });
    return { cache: new Cache({ backend, logger }), owned: true };
  }
  const { fromEnv, env } = source as EnvSource;
  if (fromEnv !== true && (typeof fromEnv !== 'string' || fromEnv === '')) {
    throw new InvalidOptionError('fromEnv', 'must be true or a non-empty prefix such as "SESSIONS"');
  }
  const prefix = typeof fromEnv === 'string' ? { prefix: fromEnv } : {};
  return { cache: cacheFromEnv({ ...prefix, ...(env !== undefined ? { env } : {}), logger }), owned: true };
}

function rejectUnknown(given: object, known: readonly string[], what: string): void {
  for (const name of Object.keys(given)) {
    if (!known.includes(name)) throw new InvalidOptionError(name, `is not a ${what} (known: ${known.join(', ')})`);
  }
}

// Duck-typed rather than `instanceof`, so a Cache from a second copy of @larder/core still fits.
function looksLikeCache(value: unknown): value is Cache {
  if (typeof value !== 'object' || value === null) return false;
  const cache = value as Partial<Record<'get' | 'set' | 'delete' | 'touch' | 'on', unknown>>;
  return ['get', 'set', 'delete', 'touch', 'on'].every((name) => typeof cache[name as keyof typeof cache] === 'function');
}
