import {
  InvalidOptionError,
  openCacheSource,
  parseTtlOption,
  type Cache,
  type CacheLogger,
  type CacheSource as CoreCacheSource,
  type GivenCacheSource,
  type Ttl,
} from '@larder/core';
import { resolveSecrets, type SessionSecretOption } from './secrets.js';
import type { UserOf } from './user-sessions.js';

/** Sessions in a Cache you built; the store uses it and never closes it (a bare Cache works too). */
export type CacheSource = GivenCacheSource;
export type { BackendSource, ServersSource, EnvSource } from '@larder/core';

/**
 * Where a MemcachedStore keeps sessions: a Cache or `{ cache }` (never closed by the store),
 * `{ backend }`, `{ servers, username?, password?, ... }` or `{ fromEnv, env? }` (a Cache the
 * store builds and closes on `close()`); the forms of `openCacheSource` in @larder/core.
 */
export type MemcachedStoreSource = CoreCacheSource;

/** Options of a MemcachedStore. */
export interface MemcachedStoreOptions {
  /** Prepended to the session id to make its key (default `'sess:'`). */
  prefix?: string;
  /** Lifetime of a session whose cookie has no expiry: seconds or `'1d'`-style (default one day; 0 = no expiry). */
  ttl?: Ttl;
  /** Receives the store's warnings, one per burst (default `console`; Fastify's `app.log` fits). */
  logger?: CacheLogger;
  /**
   * Seals every stored session (AES-256-GCM, bound to its session id): a string of 32 or more
   * characters or a Buffer of 32 or more bytes, or a list of them for rotation (the first seals,
   * every one opens). Without it sessions are stored as plain JSON that anyone who can read the
   * cache reads, and anyone who can write it forges.
   */
  secret?: SessionSecretOption;
  /**
   * Who a session belongs to (`(session) => session.user`), so `store.endSessionsOf(user)` can
   * end every session of that user at once: each session is stamped with its user's version
   * counter when written. A session naming a user but not stamped with that user's counter (one
   * written before this option was given) reads as no session.
   */
  userOf?: UserOf;
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
  /** The secrets as bytes, the sealing one first; undefined: sessions are not sealed. */
  readonly secrets: Buffer[] | undefined;
  /** Who a session belongs to; undefined: sessions are not stamped with their user. */
  readonly userOf: UserOf | undefined;
}

const OPTION_NAMES = ['prefix', 'ttl', 'logger', 'secret', 'userOf'];

/** Applies defaults and checks every option; throws InvalidOptionError naming the bad one. */
export function resolveStoreOptions(options: MemcachedStoreOptions | undefined): ResolvedStoreOptions {
  const given: unknown = options ?? {};
  if (typeof given !== 'object' || given === null) throw new InvalidOptionError('options', 'must be an object');
  rejectUnknown(given, OPTION_NAMES, 'MemcachedStore option');
  const { prefix = DEFAULT_PREFIX, ttl = DEFAULT_TTL, logger = console, secret, userOf } = given as MemcachedStoreOptions;
  if (typeof prefix !== 'string') throw new InvalidOptionError('prefix', `must be a string, got ${typeof prefix}`);
  const seconds = parseTtlOption('ttl', ttl);
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
    throw new InvalidOptionError('logger', 'must have a warn(message) method');
  }
  if (userOf !== undefined && typeof userOf !== 'function') throw new InvalidOptionError('userOf', `must be a function (session) => user id, got ${userOf === null ? 'null' : typeof userOf}`);
  return { prefix, ttl: seconds, logger, secrets: secret === undefined ? undefined : resolveSecrets(secret), userOf };
}

/** The cache a source names, and whether the store built it (and so closes it). */
export function openSource(source: MemcachedStoreSource, logger: CacheLogger): { cache: Cache; owned: boolean } {
  const { cache, owned } = openCacheSource(source, { logger });
  return { cache, owned };
}

function rejectUnknown(given: object, known: readonly string[], what: string): void {
  for (const name of Object.keys(given)) {
    if (!known.includes(name)) throw new InvalidOptionError(name, `is not a ${what} (known: ${known.join(', ')})`);
  }
}
