import { InvalidOptionError, optionFailure, parseTtlOption, toRecomputePolicy, type LockOptions, type RecomputePolicy, type Ttl } from '@larder/core';
import type { FastifyRequest } from 'fastify';
import { NEVER_STORED_STATUSES } from './http-rules.js';
import type { ViewRouteStats, ViewStatsTable } from './route-stats.js';

/** A route's `config.cache`: `true` for the defaults, or these settings. */
export interface ViewCacheSettings {
  /** How long the response is kept: seconds or `'5m'` (default: the cache's defaultTtl). */
  ttl?: Ttl;
  /** Include the sorted query arguments in the key (default false: all query strings share one entry). */
  queryString?: boolean;
  /** Builds the key for a request instead of `viewKey(path)`; the cache's prefix is still added. */
  key?: (request: FastifyRequest) => string;
  /** Return true to neither read nor store the cache for this request. */
  unless?: (request: FastifyRequest) => boolean;
  /** Status codes that may be stored (default `[200]`); 206 and 304 are refused, they are never stored. */
  statusCodes?: readonly number[];
  /** Serve and store requests that send `Authorization` from the shared entry (default false: they bypass the cache). */
  shareAuthorized?: boolean;
  /** Serve and store requests that carry a session (signed in) from the shared entry (default false: they bypass the cache). */
  shareSessions?: boolean;
  /** Keep pages this long past `ttl` and answer with them (`x-cache: STALE`) while one request in the cluster refreshes them (default: the cache's `grace`). */
  grace?: Ttl;
  /** With grace: a refresh that fails keeps the stale page until its grace ends (default true); false ends it, so the next request runs the handler. */
  staleIfError?: boolean;
  /** On memcached, one process runs the handler of a missing page while the others wait for it: `true` (5 s) or `{ timeout }` (default: the cache's `lock`). */
  lock?: boolean | LockOptions;
}

/** What a route's `config.cache` accepts. */
export type ViewCacheOption = boolean | ViewCacheSettings;

/** `config.cache` checked and with its defaults filled in. */
export interface ViewCacheRule {
  ttl: number | undefined;
  queryString: boolean;
  key: ((request: FastifyRequest) => string) | undefined;
  unless: ((request: FastifyRequest) => boolean) | undefined;
  statusCodes: ReadonlySet<number>;
  shareAuthorized: boolean;
  shareSessions: boolean;
  /** Grace, stale-if-error and lock over the cache's defaults (timeouts do not apply: the handler is not cut short). */
  policy: RecomputePolicy;
  /** This route's counters (see `app.viewCacheStats()`). */
  stats: ViewRouteStats;
}

const SETTINGS = new Set(['ttl', 'queryString', 'key', 'unless', 'statusCodes', 'shareAuthorized', 'shareSessions', 'grace', 'staleIfError', 'lock']);

/**
 * Validates a route's `config.cache` over the cache's recompute defaults (`defaults`); undefined
 * when the route is not cached. Errors name the route and option, at registration.
 */
export function toViewCacheRule(option: unknown, route: string, defaults: RecomputePolicy, table: ViewStatsTable): ViewCacheRule | undefined {
  if (option === undefined || option === false) return undefined;
  const settings: ViewCacheSettings = option === true ? {} : checkObject(option, route);
  const fail = (name: string, problem: string) => new InvalidOptionError(`config.cache.${name}`, `${problem} (route ${route})`);
  for (const name of Object.keys(settings)) if (!SETTINGS.has(name)) throw fail(name, `is not a view cache setting (known: ${[...SETTINGS].join(', ')})`);
  const ttl = settings.ttl === undefined ? undefined : parseTtlOption('config.cache.ttl', settings.ttl, `route ${route}`);
  if (settings.queryString !== undefined && typeof settings.queryString !== 'boolean') throw fail('queryString', 'must be a boolean');
  if (settings.key !== undefined && typeof settings.key !== 'function') throw fail('key', 'must be a function (request) => string');
  if (settings.unless !== undefined && typeof settings.unless !== 'function') throw fail('unless', 'must be a function (request) => boolean');
  const statusCodes = settings.statusCodes ?? [200];
  if (!Array.isArray(statusCodes) || statusCodes.some((code) => !Number.isInteger(code) || code < 100 || code > 599)) {
    throw fail('statusCodes', 'must be an array of HTTP status codes');
  }
  const never = statusCodes.find((code) => NEVER_STORED_STATUSES.has(code));
  if (never !== undefined) throw fail('statusCodes', `cannot list ${never}: a ${never === 304 ? '304 has no body' : '206 is part of a body'} and is never stored`);
  for (const name of ['shareAuthorized', 'shareSessions'] as const) {
    if (settings[name] !== undefined && typeof settings[name] !== 'boolean') throw fail(name, 'must be a boolean');
  }
  const { grace, staleIfError, lock } = settings;
  const policy = toRecomputePolicy({ grace, staleIfError, lock }, defaults, optionFailure('config.cache.', `route ${route}`));
  return {
    policy,
    ttl,
    queryString: settings.queryString ?? false,
    key: settings.key,
    unless: settings.unless,
    statusCodes: new Set(statusCodes),
    shareAuthorized: settings.shareAuthorized ?? false,
    shareSessions: settings.shareSessions ?? false,
    stats: table.add(route),
  };
}

function checkObject(option: unknown, route: string): ViewCacheSettings {
  if (option === null || typeof option !== 'object' || Array.isArray(option)) {
    throw new InvalidOptionError('config.cache', `must be true or an object of settings (route ${route})`);
  }
  return option as ViewCacheSettings;
}
