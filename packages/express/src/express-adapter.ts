import type { CacheLogger } from '@larder/core';
import { carriesSession, whenHeadSent, type HttpAdapter, type RequestLogger } from '@larder/http';
import type { ExpressRequestLike, ExpressResponseLike } from './express-types.js';

/** The cookie express-session uses unless told otherwise. */
const EXPRESS_SESSION_COOKIE = 'connect.sid=';

/**
 * How @larder/http sees Express 4 and 5, logging to `logger`. The Host follows Express's own rule
 * (X-Forwarded-Host only from a proxy `trust proxy` trusts, the port kept); the URL is
 * `originalUrl`, as received, whatever router the middleware sits in.
 *
 * The route: the router's mount path plus the matched route's pattern. Express matches routes
 * against the path before percent-decoding it (`/%61` does not reach a route `/a`), so two
 * spellings that the cache key treats as one path can reach two routes; entries are kept per
 * route, so neither is served the other's page. A middleware mounted with `router.use` runs before
 * any route matched: its route is then the raw path itself, so each spelling is its own audience.
 */
export function expressAdapter(logger: CacheLogger): HttpAdapter<ExpressRequestLike, ExpressResponseLike> {
  const log: RequestLogger = { debug: () => {}, warn: (details, message) => logger.warn(details.err === undefined ? message : `${message}: ${describe(details.err)}`) };
  return {
    method: (request) => request.method ?? 'GET',
    url: (request) => request.originalUrl ?? request.url ?? '/',
    headers: (request) => request.headers,
    host: expressHost,
    route: (request) => expressRoute(request),
    remoteAddress: (request) => request.socket?.remoteAddress,
    carriesSession: carriesExpressSession,
    log: () => log,
    send,
    setHeader: (response, name, value) => {
      if (!response.headersSent) response.setHeader(name, value);
    },
    getHeader: (response, name) => response.getHeader(name),
    onClose: (response, listener) => {
      response.once('close', listener);
    },
    // express-session, cookie-session and compression (on-headers) add headers inside writeHead.
    onHeadersSent: (response, retract, listener) => whenHeadSent(response, retract, listener),
  };
}

/**
 * The route a request reached: the matched route's pattern with its mount path, else `raw` and
 * the request's path without its query (the audience's route passes `raw:`, so a path never
 * spells a pattern; names in counters and log lines pass nothing).
 */
export function expressRoute(request: ExpressRequestLike, raw = 'raw:'): string {
  const path = request.route?.path;
  if (path !== undefined) return `${request.baseUrl ?? ''}${String(path)}`;
  const url = request.originalUrl ?? request.url ?? '/';
  const mark = url.indexOf('?');
  return raw + (mark === -1 ? url : url.slice(0, mark));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function send(response: ExpressResponseLike, status: number, headers: Readonly<Record<string, string | string[]>>, body: string | Buffer | undefined, label: string, age: string): void {
  response.statusCode = status;
  for (const name in headers) response.setHeader(name, headers[name]!);
  response.setHeader('x-cache', label);
  response.setHeader('age', age);
  if (body === undefined) return void response.end();
  // Set here, not left to Node: a HEAD request gets the length its GET would, without the body.
  response.setHeader('content-length', Buffer.byteLength(body));
  response.end(body);
}

/** Express 5's `req.host` rule, which Express 4 keeps as `req.hostname` without the port. */
function expressHost(request: ExpressRequestLike): string {
  const forwarded = request.headers['x-forwarded-host'];
  if (typeof forwarded === 'string' && forwarded !== '') {
    const trust = request.app?.get('trust proxy fn');
    if (typeof trust === 'function' && (trust as (address: string | undefined, hop: number) => boolean)(request.socket?.remoteAddress, 0)) {
      return forwarded.split(',')[0]!.trim();
    }
  }
  return request.headers.host ?? '';
}

/**
 * True when the request carries a session of its own. With express-session: when the request's
 * cookie holds the id of the session it loaded (a guest whose session is new, with
 * `saveUninitialized: false`, sends none). With cookie-session: when the session was read from the
 * request's cookie (`isNew` false). With another library that sets `req.session`: when the
 * request sends any cookie. Without `req.session` (no session middleware, or one mounted after the
 * cache): when it sends express-session's default cookie, so a misordered app bypasses the cache
 * for signed-in visitors instead of sharing their pages.
 */
function carriesExpressSession(request: ExpressRequestLike): boolean {
  const cookie = request.headers.cookie;
  if (cookie === undefined || cookie === '') return false;
  const session = request.session;
  if (session == null) return cookie.includes(EXPRESS_SESSION_COOKIE);
  // cookie-session: `isNew` is false exactly when the session came from the request's cookie.
  const isNew = (session as { isNew?: unknown }).isNew;
  if (typeof isNew === 'boolean') return !isNew;
  const id = request.sessionID;
  // express-session signs the id into its cookie (`s:<id>.<signature>`, URL-encoded): the id shows as is.
  if (typeof id === 'string' && id !== '') return cookie.includes(id) || cookie.includes(encodeURIComponent(id));
  return carriesSession(session, undefined, cookie);
}
