import { appendVary } from '@larder/http';

/** The part of an HTTP response this needs: Node's ServerResponse (and so Express's `res`). */
interface HeaderTarget {
  readonly headersSent?: boolean;
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): unknown;
}

/**
 * Adds `Cookie` to the response's `Vary` header (unless it is named already or `Vary` is `*`), as
 * Django's session middleware does when a view reads the session: a page shown with a session
 * depends on the cookie, and a shared cache downstream must not hand it to anyone else.
 */
export function varyOnCookie(response: HeaderTarget | undefined): void {
  if (!response || response.headersSent) return;
  response.setHeader('vary', appendVary(response.getHeader('vary'), 'Cookie'));
}

/**
 * Wraps express-session's `Store#createSession`, which it calls when a request's session is loaded
 * from the store (a returning, usually signed-in visitor), so that the response says `Vary: Cookie`.
 * Express puts the response on `req.res`; without it nothing is added.
 */
export function varyCookieOnLoad(createSession: unknown): unknown {
  if (typeof createSession !== 'function') return createSession;
  return function createSessionVaryingOnCookie(this: unknown, req: { res?: HeaderTarget }, ...rest: unknown[]): unknown {
    varyOnCookie(req?.res);
    return (createSession as (...args: unknown[]) => unknown).call(this, req, ...rest);
  };
}
