import { InvalidOptionError, optionFailure, parseTtlOption, toRecomputePolicy, type Duration, type LockOptions, type RecomputePolicy, type Ttl } from '@larder/core';
import { NEVER_STORED_REASONS, NEVER_STORED_STATUSES } from './http-rules.js';
import type { QueryHashMethod } from './keys/flask-query-key.js';
import type { ViewRouteStats, ViewStatsTable } from './route-stats.js';

/**
 * How one route's responses are cached (Fastify's `config.cache`, Express's `cacheResponse(settings)`); `Req` is the framework's request.
 * `key`, `unless` and `tags` are methods so that a route may name its own request type there
 * (`(request: FastifyRequest<{ Params: { id: string } }>) => ...`): Fastify's route config is not
 * generic over the route, so its params cannot reach these functions otherwise.
 */
export interface ResponseCacheSettings<Req> {
  /** How long the response is kept: seconds or `'5m'` (default: the cache's defaultTtl); with `freshness: 'response'`, how long a stale response with a validator is kept for revalidation. */
  ttl?: Ttl;
  /** Who decides how long a response is fresh: the route's `ttl` (default, Flask-Caching's way), or `'response'`: its own Cache-Control / Expires / Age, as RFC 9111 says for a shared cache. */
  freshness?: 'ttl' | 'response';
  /** With `freshness: 'response'`: heuristic freshness for responses with Last-Modified and no explicit freshness (10% of their age, at most a day; default false). */
  heuristic?: boolean;
  /** With `freshness: 'response'`: read `Surrogate-Control` (its max-age and no-store win over Cache-Control): `true`, or a device token to read directives targeted at it too (default: not read). */
  surrogateControl?: true | string;
  /** Include the query arguments in the key, as Flask-Caching's `query_string=True` (default false: all query strings share one entry). */
  queryString?: boolean;
  /** The hash of the query arguments with `queryString` (default `'md5'`, Flask-Caching's; `'sha256'` where it is moving). */
  queryHash?: QueryHashMethod;
  /** Builds the key for a request instead of `viewKey(path)`; the cache's prefix is still added. */
  key?(request: Req): string;
  /** Return true to neither read nor store the cache for this request. */
  unless?(request: Req): boolean;
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
  /** With grace, `{ soft }`: a request holding a stale page waits this long for its refresh (then gets the stale page; default 0: stale at once). */
  timeout?: { soft?: Duration };
  /** The tags (surrogate keys) of the request's page: `cache.invalidateTags([tag])` makes every page carrying one a miss, in every process. */
  tags?(request: Req): readonly string[];
  /** Send the page's tags in a `Surrogate-Key` header, for CDNs that purge by it (default false). */
  surrogateKeys?: boolean;
  /** Send `Cache-Control: public, max-age=<ttl>` (and `s-maxage`) with stored pages whose handler set none (default false). */
  cacheControl?: boolean | CacheControlSettings;
  /** Give stored pages a strong `ETag` when the handler set none (default true); conditional requests get 304 either way. */
  etag?: boolean;
}

/** What `cacheControl` sends: `max-age` defaults to the entry's ttl; `sMaxAge` adds `s-maxage` for shared caches (CDNs). */
export interface CacheControlSettings {
  /** `max-age` in seconds or `'5m'` (default: the entry's ttl; with the `Age` header, a client's freshness ends when the entry does). */
  maxAge?: Ttl;
  /** `s-maxage` for shared caches, seconds or `'1h'` (default: none). */
  sMaxAge?: Ttl;
}

/** What a route's cache option accepts: `true` for the defaults, or settings. */
export type ResponseCacheOption<Req> = boolean | ResponseCacheSettings<Req>;

/** A route's settings checked, with their defaults filled in. */
export interface CacheRule<Req> {
  readonly ttl: number | undefined;
  /** `'response'`: freshness from the response (RFC 9111); `'ttl'`: from the route. */
  readonly freshness: 'ttl' | 'response';
  readonly heuristic: boolean;
  readonly surrogateControl: true | string | undefined;
  readonly queryString: boolean;
  readonly queryHash: QueryHashMethod;
  readonly key: ((request: Req) => string) | undefined;
  readonly unless: ((request: Req) => boolean) | undefined;
  readonly statusCodes: ReadonlySet<number>;
  readonly shareAuthorized: boolean;
  readonly shareSessions: boolean;
  /** Grace, stale-if-error and lock over the cache's defaults (timeouts do not apply: the handler is not cut short). */
  readonly policy: RecomputePolicy;
  readonly tags: ((request: Req) => readonly string[]) | undefined;
  readonly surrogateKeys: boolean;
  /** The Cache-Control value to store with pages whose handler set none; `max-age` filled from the ttl when undefined. */
  readonly cacheControl: { maxAge: number | undefined; sMaxAge: number | undefined } | undefined;
  readonly etag: boolean;
  /** The route's pattern given at registration (see RuleSite.pattern), else undefined. */
  readonly pattern: string | undefined;
  /** This route's counters. */
  readonly stats: ViewRouteStats;
}

/** Statuses stored with `freshness: 'response'` by default: every final one a cache may store (none of NEVER_STORED_STATUSES). */
const RESPONSE_STATUSES: readonly number[] = Array.from({ length: 400 }, (_, i) => i + 200).filter((code) => !NEVER_STORED_STATUSES.has(code));

/** Flask-Caching's SUPPORTED_HASH_FUNCTIONS. */
const QUERY_HASH_METHODS: readonly QueryHashMethod[] = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];

const SETTINGS = new Set([
  'ttl', 'freshness', 'heuristic', 'surrogateControl', 'queryString', 'queryHash', 'key', 'unless', 'statusCodes', 'shareAuthorized', 'shareSessions', 'grace', 'staleIfError', 'lock', 'timeout', 'tags', 'surrogateKeys', 'cacheControl', 'etag',
]);

/** Where a rule is declared, for its errors: the option's name (`config.cache`) and the route (`GET /a`). */
export interface RuleSite {
  readonly option: string;
  readonly route: string;
  /** The route's pattern (`/products/:id`) when the adapter knows it at registration: requests then need no `adapter.route`. */
  readonly pattern?: string;
}

/**
 * Validates a route's cache settings over the cache's recompute defaults (`defaults`); undefined
 * when the route is not cached. Errors name the option and route, at registration.
 */
export function toCacheRule<Req>(option: unknown, site: RuleSite, defaults: RecomputePolicy, table: ViewStatsTable): CacheRule<Req> | undefined {
  if (option === undefined || option === false) return undefined;
  const where = `route ${site.route}`;
  if (option !== true && (option === null || typeof option !== 'object' || Array.isArray(option))) {
    throw new InvalidOptionError(site.option, `must be true or an object of settings (${where})`);
  }
  const settings: ResponseCacheSettings<Req> = option === true ? {} : (option as ResponseCacheSettings<Req>);
  const fail = (name: string, problem: string) => new InvalidOptionError(`${site.option}.${name}`, `${problem} (${where})`);
  for (const name of Object.keys(settings)) if (!SETTINGS.has(name)) throw fail(name, `is not a response cache setting (known: ${[...SETTINGS].join(', ')})`);
  const ttl = settings.ttl === undefined ? undefined : parseTtlOption(`${site.option}.ttl`, settings.ttl, where);
  const freshness = settings.freshness ?? 'ttl';
  if (freshness !== 'ttl' && freshness !== 'response') throw fail('freshness', "must be 'ttl' or 'response'");
  const byResponse = freshness === 'response';
  for (const name of ['heuristic', 'surrogateControl'] as const) {
    if (settings[name] !== undefined && !byResponse) throw fail(name, "applies only with freshness: 'response'");
  }
  const surrogate = settings.surrogateControl;
  if (surrogate !== undefined && surrogate !== true && !(typeof surrogate === 'string' && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(surrogate))) {
    throw fail('surrogateControl', 'must be true or a device token');
  }
  if (byResponse) {
    for (const name of ['grace', 'staleIfError', 'cacheControl'] as const) {
      if (settings[name] !== undefined) throw fail(name, "does not apply with freshness: 'response': the response says it (stale-while-revalidate, stale-if-error, Cache-Control)");
    }
  }
  for (const name of ['queryString', 'shareAuthorized', 'shareSessions', 'surrogateKeys', 'etag', 'heuristic'] as const) {
    if (settings[name] !== undefined && typeof settings[name] !== 'boolean') throw fail(name, 'must be a boolean');
  }
  const queryHash = settings.queryHash ?? 'md5';
  if (!QUERY_HASH_METHODS.includes(queryHash)) throw fail('queryHash', `must be one of ${QUERY_HASH_METHODS.join(', ')}`);
  for (const name of ['key', 'unless', 'tags'] as const) {
    if (settings[name] !== undefined && typeof settings[name] !== 'function') throw fail(name, 'must be a function of the request');
  }
  // With freshness from the response, any final status it gives explicit freshness to may be stored.
  const statusCodes = settings.statusCodes ?? (byResponse ? RESPONSE_STATUSES : [200]);
  if (!Array.isArray(statusCodes) || statusCodes.some((code) => !Number.isInteger(code) || code < 100 || code > 599)) {
    throw fail('statusCodes', 'must be an array of HTTP status codes');
  }
  const never = statusCodes.find((code) => NEVER_STORED_STATUSES.has(code));
  if (never !== undefined) throw fail('statusCodes', `cannot list ${never}: ${NEVER_STORED_REASONS.get(never)} and is never stored`);
  const { grace, staleIfError, lock, timeout } = settings;
  if (timeout !== undefined && timeout !== null && typeof timeout === 'object' && 'hard' in timeout) throw fail('timeout.hard', 'does not apply to a route: its handler is not cut short (timeout takes soft)');
  // The cache's soft timeout is getOrSet's; a route waits for a refresh only when it says so.
  const policy = toRecomputePolicy({ grace, staleIfError, lock, timeout }, { ...defaults, softMs: 0 }, optionFailure(`${site.option}.`, where));
  return {
    policy,
    ttl,
    freshness,
    heuristic: settings.heuristic ?? false,
    surrogateControl: surrogate,
    queryString: settings.queryString ?? false,
    queryHash,
    key: settings.key,
    unless: settings.unless,
    statusCodes: new Set(statusCodes),
    shareAuthorized: settings.shareAuthorized ?? false,
    shareSessions: settings.shareSessions ?? false,
    tags: settings.tags,
    surrogateKeys: settings.surrogateKeys ?? false,
    cacheControl: toCacheControl(settings.cacheControl, site, fail),
    // A cache in front of a handler that decides freshness invents no validator of its own.
    etag: settings.etag ?? !byResponse,
    pattern: site.pattern,
    stats: table.add(site.route),
  };
}

function toCacheControl(option: unknown, site: RuleSite, fail: (name: string, problem: string) => Error): CacheRule<object>['cacheControl'] {
  if (option === undefined || option === false) return undefined;
  if (option === true) return { maxAge: undefined, sMaxAge: undefined };
  if (option === null || typeof option !== 'object' || Array.isArray(option)) throw fail('cacheControl', 'must be a boolean or { maxAge, sMaxAge }');
  const { maxAge, sMaxAge, ...rest } = option as CacheControlSettings;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw fail(`cacheControl.${unknown}`, 'is not a cacheControl setting (known: maxAge, sMaxAge)');
  const where = `route ${site.route}`;
  return {
    maxAge: maxAge === undefined ? undefined : parseTtlOption(`${site.option}.cacheControl.maxAge`, maxAge, where),
    sMaxAge: sMaxAge === undefined ? undefined : parseTtlOption(`${site.option}.cacheControl.sMaxAge`, sMaxAge, where),
  };
}
