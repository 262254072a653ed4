import type { Cache, CacheLogger } from '@larder/core';
import { MemcachedStore, withExpressSession } from '@larder/session-store';
import type { RequestHandler } from 'express';
import session from 'express-session';

declare module 'express-session' {
  interface SessionData {
    /** The signed-in visitor's name; absent for a guest. */
    user?: string;
  }
}

/** The session cookie's name: express-session's default, which @larder/express also knows. */
export const SESSION_COOKIE = 'connect.sid';

/** express-session over the app's cache: the middleware to mount before the cached routes, and its store. */
export interface Sessions {
  readonly middleware: RequestHandler;
  readonly store: MemcachedStore;
}

/**
 * Sessions kept in `cache` under `sess:<id>`, sealed at rest with `secret` (the store derives its
 * own keys from it with HKDF), which also signs the cookie. A guest gets no session and no cookie
 * until logging in (`saveUninitialized: false`), so guests share the cached pages.
 */
export function sessions(cache: Cache, secret: string, logger: CacheLogger): Sessions {
  const store = withExpressSession(new MemcachedStore({ cache }, { ttl: '1d', logger, secret }), session);
  const middleware = session({
    secret,
    store,
    name: SESSION_COOKIE,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    cookie: { secure: 'auto', httpOnly: true, sameSite: 'lax', maxAge: 7 * 86_400_000 },
  });
  return { middleware, store };
}
