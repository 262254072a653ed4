import type { IncomingMessage, ServerResponse } from 'node:http';

// Structural types of what the middleware reads of Express 4 and 5, so the package's types need
// neither @types/express nor one Express major: an Express request and response satisfy them.

/** An Express application, as the middleware sees it. */
export interface ExpressAppLike {
  (request: IncomingMessage, response: ServerResponse): void;
  /** Express's `app.locals`: the cache is at `app.locals.cache`. */
  locals: Record<string, unknown>;
  /** Express's settings getter (`app.get('trust proxy fn')`). */
  get(setting: string): unknown;
  /** The app this one is mounted on, for sub-apps. */
  parent?: ExpressAppLike;
}

/** An Express request, as the middleware sees it. */
export interface ExpressRequestLike extends IncomingMessage {
  /** The URL as received, before routers strip their mount paths. */
  originalUrl?: string;
  /** The app handling the request. */
  app?: ExpressAppLike;
  /** The route matched, when the middleware runs in one (`app.get(path, cacheResponse(), ...)`). */
  route?: { path?: unknown; methods?: Readonly<Record<string, boolean | undefined>> };
  /** The mount path of the router the route is in. */
  baseUrl?: string;
  /** express-session's session (or another library's). */
  session?: unknown;
  /** express-session's id of `session`. */
  sessionID?: unknown;
}

/** The request as `cacheResponse`'s `key`, `unless` and `tags` functions see it: with Express's `params` and `query`. */
export interface CacheRequest extends ExpressRequestLike {
  /** The route's parameters (`/products/:id` gives `params.id`). */
  readonly params: Readonly<Record<string, string | undefined>>;
  /** The parsed query (Express's query parser). */
  readonly query: Readonly<Record<string, unknown>>;
}

/** An Express response, as the middleware sees it. */
export type ExpressResponseLike = ServerResponse;

/** Express's `next`. */
export type NextFunction = (error?: unknown) => void;

/** A middleware function as Express calls it. */
export type ExpressMiddleware = (request: ExpressRequestLike, response: ExpressResponseLike, next: NextFunction) => void;
