import type { RequestHeaders } from './http-rules.js';
import type { SentHead } from './sent-head.js';

// The one seam between the response cache and a web framework. An adapter (the Fastify plugin,
// the Express middleware) implements it once, as a stateless object: the engine calls it with the
// framework's own request and response objects, so a hit allocates no wrapper per request.

/** Where the engine logs about one request (a framework's request logger, or the console's). */
export interface RequestLogger {
  /** Routine notes (a response not stored, and why). */
  debug(message: string): void;
  /** Failures the app keeps serving through (a cache read that failed). */
  warn(details: { err: unknown }, message: string): void;
}

/** How the response cache sees one framework's request (`Req`) and response (`Res`) objects. */
export interface HttpAdapter<Req extends object, Res> {
  /** The request method, upper-case. */
  method(request: Req): string;
  /** The request target as received: path and query (`/a/b?x=1`). */
  url(request: Req): string;
  /** The request headers, lower-case names (the engine deletes its own refresh header from them). */
  headers(request: Req): RequestHeaders;
  /** The Host the request is for, as the framework trusts it (X-Forwarded-Host behind a trusted proxy); '' when none. */
  host(request: Req): string;
  /** The route that answers the request (its pattern, `/products/:id`), or '' when the adapter cannot tell. */
  route(request: Req): string;
  /** The address of the client's connection (what the app's proxy trust rules look at), for the refresh of a stale page. */
  remoteAddress(request: Req): string | undefined;
  /** True when the request carries a session of its own (a signed-in visitor), as the framework's session library says. */
  carriesSession(request: Req): boolean;
  /** The request's logger. */
  log(request: Req): RequestLogger;
  /**
   * Sends a stored response: status, its headers, `x-cache: <label>` and `age: <age>` (given apart,
   * so a hit copies no header object), then the body (none for a 304; a HEAD request's is dropped).
   */
  send(response: Res, status: number, headers: Readonly<Record<string, string | string[]>>, body: string | Buffer | undefined, label: string, age: string): void;
  /** Sets one response header, replacing any value it had; a no-op once the headers are sent. */
  setHeader(response: Res, name: string, value: string): void;
  /** A response header the handler set, or undefined. */
  getHeader(response: Res, name: string): unknown;
  /** Calls `listener` once when the response's connection closes (sent, aborted or hijacked). */
  onClose(response: Res, listener: () => void): void;
  /**
   * Calls `listener` once the response's status and headers are final, as they went on the wire
   * (undefined when they never went), and removes the `retract` headers if a middleware sets a
   * cookie before they go: `whenHeadSent(rawNodeResponse, retract, listener)` for Node's http.
   */
  onHeadersSent(response: Res, retract: Readonly<Record<string, string>>, listener: (head: SentHead | undefined) => void): void;
}

/** The response a handler produced, as the adapter hands it to the engine once its body is complete. */
export interface FinishedResponse {
  /** Status code. */
  status: number;
  /** Every header the handler set, lower-case names. */
  headers: Readonly<Record<string, unknown>>;
  /** The whole body; undefined when it was streamed (never stored) or too large to hold. */
  body: string | Buffer | undefined;
}
