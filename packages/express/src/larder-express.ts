import { clearDefaultCache, InvalidOptionError, LarderError, NO_RECOMPUTE, openAdapterCache, setDefaultCache, type AdapterCacheOptions, type Cache, type CacheLogger } from '@larder/core';
import { ResponseCache, toCacheRule, ViewStatsTable, type CacheRule, type HttpAdapter, type ResponseCacheBounds, type ResponseCacheOption, type ViewRouteStats } from '@larder/http';
import { captureBody, type CaptureBudget } from './capture-body.js';
import { expressAdapter, expressRoute } from './express-adapter.js';
import { injectInto } from './in-process-request.js';
import type { CacheRequest, ExpressAppLike, ExpressMiddleware, ExpressRequestLike, ExpressResponseLike, NextFunction } from './express-types.js';

/**
 * Options of `larder(app, options)`: where the cache comes from (core's AdapterCacheOptions: at
 * most one of `cache`, `backend`, `servers`, `fromEnv`, else an in-memory cache; a cache given is
 * never closed, one built here is closed by `close()`), and these.
 */
export interface LarderExpressOptions extends AdapterCacheOptions {
  /** Make this cache the one `@memoize()` uses when given none (default true). */
  setDefault?: boolean;
  /** Where the cache and the response cache log (default: the console's warnings). */
  logger?: CacheLogger;
  /** Bounds of the response cache's in-process state (decode memo, writes waiting). */
  bounds?: ResponseCacheBounds;
  /** Largest response body `cacheResponse` collects to store, in bytes (default 8 MiB; larger ones are sent, not stored). */
  maxBodyBytes?: number;
  /** Bytes all the bodies being collected at once may hold together (default 64 MiB; past it a miss is sent, not stored). */
  maxCaptureBytes?: number;
}

/** What `larder(app)` gives: the cache (also at `app.locals.cache`), the response cache's counters, and `close()`. */
export interface LarderExpress {
  /** The Cache, also at `app.locals.cache`. */
  readonly cache: Cache;
  /** What `cacheResponse` did on each route since the app started (hits, misses, stale, bypasses, 304s), a fresh snapshot. */
  viewCacheStats(): ViewRouteStats[];
  /** Waits for the response cache's writes and refreshes, then closes the cache when it was built here (call it on shutdown). */
  close(): Promise<void>;
}

/** The per-app state `cacheResponse` finds through `req.app`. */
interface Installed {
  cache: Cache;
  adapter: HttpAdapter<ExpressRequestLike, ExpressResponseLike>;
  engine: ResponseCache<ExpressRequestLike, ExpressResponseLike>;
  table: ViewStatsTable;
  maxBodyBytes: number;
  captureBudget: CaptureBudget;
  logger: CacheLogger;
}

const installed = new WeakMap<ExpressAppLike, Installed>();

/** Raised by `cacheResponse` on a request of an app that `larder(app)` was not called on. */
export class NotInstalledError extends LarderError {
  constructor() {
    super('E_NOT_INSTALLED', 'cacheResponse() ran in an app without Larder: call larder(app, options) before the routes');
  }
}

const PLUGIN_ONLY: ReadonlySet<string> = new Set(['setDefault', 'logger', 'bounds', 'maxBodyBytes', 'maxCaptureBytes']);
const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_CAPTURE_BYTES = 64 * 1024 * 1024;

/**
 * Gives an Express 4 or 5 app its Larder cache: `app.locals.cache`, the default cache of
 * `@memoize()`, and the response cache `cacheResponse()` routes use. Bad options throw an
 * InvalidOptionError naming the option, here, before the app serves.
 */
export function larder(app: ExpressAppLike, options: LarderExpressOptions = {}): LarderExpress {
  if (typeof app !== 'function' || app.locals === null || typeof app.locals !== 'object') throw new InvalidOptionError('app', 'must be an Express application');
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'must be an object');
  if (installed.has(app)) throw new InvalidOptionError('app', 'already has Larder: call larder(app) once');
  if (options.setDefault !== undefined && typeof options.setDefault !== 'boolean') throw new InvalidOptionError('setDefault', 'must be a boolean');
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) throw new InvalidOptionError('maxBodyBytes', 'must be a positive integer');
  const captureBytes = options.maxCaptureBytes ?? DEFAULT_MAX_CAPTURE_BYTES;
  if (!Number.isSafeInteger(captureBytes) || captureBytes < 1) throw new InvalidOptionError('maxCaptureBytes', 'must be a positive integer');
  const logger: CacheLogger = options.logger ?? { warn: (message) => console.warn(message) };
  const { cache, owned } = openAdapterCache(options, PLUGIN_ONLY, { logger });
  const adapter = expressAdapter(logger);
  const engine = new ResponseCache(cache, adapter, {
    logger,
    ...(options.bounds === undefined ? {} : { bounds: options.bounds }),
    // A stale page's refresh runs the request through the app again, without a socket.
    inject: injectInto(app),
  });
  const table = new ViewStatsTable();
  installed.set(app, { cache, adapter, engine, table, maxBodyBytes, captureBudget: { used: 0, max: captureBytes }, logger });
  app.locals.cache = cache;
  const makeDefault = options.setDefault ?? true;
  if (makeDefault) setDefaultCache(cache);
  return {
    cache,
    viewCacheStats: () => table.snapshot(),
    close: async () => {
      await engine.drain();
      if (makeDefault) clearDefaultCache(cache);
      if (owned) await cache.close();
    },
  };
}

/**
 * Caches the whole responses of the routes it is mounted on (Flask-Caching's `@cache.cached()`):
 * `app.get('/products/:id', cacheResponse({ ttl: '5m' }), handler)`, or `router.use(cacheResponse())`.
 * Settings as the Fastify plugin's `config.cache`; bad settings throw here, where the route is declared.
 */
export function cacheResponse(settings: ResponseCacheOption<CacheRequest> = true): ExpressMiddleware {
  // Checked now against no cache defaults; checked again (with the cache's grace and lock defaults) for each app it serves.
  const declared = toCacheRule<CacheRequest>(settings, { option: 'cacheResponse', route: 'cacheResponse()' }, NO_RECOMPUTE, new ViewStatsTable());
  if (declared === undefined) return (_request, _response, next) => next();
  const rules = new WeakMap<Installed, CacheRule<CacheRequest>>();
  return function larderCacheResponse(request, response, next) {
    const app = installedFor(request.app);
    if (app === undefined) return next(new NotInstalledError());
    let rule = rules.get(app);
    if (rule === undefined) {
      // Named as Fastify names routes; GET, since HEAD requests are answered from GET's entries.
      rule = toCacheRule<CacheRequest>(settings, { option: 'cacheResponse', route: `GET ${expressRoute(request, '')}` }, app.cache.recompute, app.table)!;
      rules.set(app, rule);
      warnIfNeverCached(request, app.logger);
    }
    let answer: boolean | Promise<boolean>;
    try {
      // Express gives every request `params` and `query` by the time a route's middleware runs.
      answer = app.engine.begin(rule as CacheRule<ExpressRequestLike>, request, response);
    } catch (error) {
      return next(error);
    }
    if (answer === true) return;
    if (answer === false) return proceed(app, request, response, next);
    answer.then((replied) => {
      if (!replied) proceed(app, request, response, next);
    }, next);
  };
}

/** The handler is to run: the response of a request the engine marked is collected to store, then the route goes on. */
function proceed(app: Installed, request: ExpressRequestLike, response: ExpressResponseLike, next: NextFunction): void {
  if (app.engine.pending(request)) captureBody(app.engine, request, response, app.maxBodyBytes, app.captureBudget);
  next();
}

/**
 * Says once (when the middleware first runs in an app) that `cacheResponse()` sits on a route that
 * answers no GET: only GET and HEAD responses are cached, so it can never take effect. Express
 * gives middlewares no hook where routes are declared, so this is said at the first request.
 */
function warnIfNeverCached(request: ExpressRequestLike, logger: CacheLogger): void {
  const methods = request.route?.methods;
  if (methods === undefined || methods.get || methods.head || methods._all) return;
  const named = Object.keys(methods).filter((method) => methods[method]).map((method) => method.toUpperCase());
  logger.warn(`larder: cacheResponse() on route ${named.join(',')} ${expressRoute(request, '')} never caches: only GET and HEAD responses are cached; put it on the GET route`);
}

/** The Larder state of `app` or of the app it is mounted in. */
function installedFor(app: ExpressAppLike | undefined): Installed | undefined {
  for (let current = app; current !== undefined; current = current.parent) {
    const found = installed.get(current);
    if (found !== undefined) return found;
  }
  return undefined;
}
