import { InvalidOptionError } from '@larder/core';
import type { MemcachedStore } from './memcached-store.js';
import { varyCookieOnLoad } from './vary-cookie.js';

/** The part of the express-session module this needs: its `Store` base class. */
export interface ExpressSessionModule<StoreBase extends object> {
  /** express-session's abstract `Store` (`session.Store`). */
  readonly Store: { readonly prototype: StoreBase };
}

// express-session calls these on its store; only its own Store base class has them, since
// createSession must build express-session's Session and Cookie objects.
const BORROWED = ['createSession', 'load', 'regenerate'] as const;

/**
 * Makes `store` an express-session store too: express-session inflates a stored session with
 * `store.createSession`, and `req.session.regenerate`/`reload` use `store.regenerate`/`load`,
 * all of which live on `session.Store.prototype`. They are copied onto this store instance, so
 * the package needs no runtime dependency on express-session. Returns the same store, typed as
 * one express-session accepts.
 */
export function withExpressSession<StoreBase extends object>(store: MemcachedStore, expressSession: ExpressSessionModule<StoreBase>): MemcachedStore & StoreBase {
  const proto = (expressSession as Partial<ExpressSessionModule<Record<string, unknown>>> | null | undefined)?.Store?.prototype;
  if (!proto || BORROWED.some((name) => typeof proto[name] !== 'function')) {
    throw new InvalidOptionError('expressSession', 'pass the express-session module itself (import session from "express-session")');
  }
  for (const name of BORROWED) {
    // A session loaded from the store makes the page personal: its response says Vary: Cookie.
    const value = name === 'createSession' ? varyCookieOnLoad(proto[name]) : proto[name];
    Object.defineProperty(store, name, { value, configurable: true, writable: true, enumerable: false });
  }
  return store as MemcachedStore & StoreBase;
}
