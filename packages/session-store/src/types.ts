import type { UnsealReason } from './seal.js';

/**
 * The cookie part of a session, as @fastify/session and express-session keep it: a Cookie
 * instance when a session is written, plain JSON data (`expires` as an ISO string) when read.
 */
export interface SessionCookieData {
  /** When the cookie expires: a Date, an ISO date string, or null/absent for a browser-session cookie. */
  expires?: Date | string | null | undefined;
  /** Milliseconds the cookie has left, when it has an expiry (Cookie instances compute it). */
  maxAge?: number | null | undefined;
  /** The `maxAge` the cookie was created with, in milliseconds (null without one). */
  originalMaxAge?: number | null | undefined;
}

/**
 * A session as the store receives it: the session object of @fastify/session or
 * express-session. Its enumerable properties, `cookie` included, are what is stored.
 */
export interface SessionData {
  /** The session cookie's settings; the store takes the session's TTL from them. */
  cookie: SessionCookieData;
}

/** A session as read back: plain JSON data with a `cookie` object (dates as ISO strings). */
export type StoredSession = SessionData & { readonly [key: string]: unknown };

/**
 * The callback of `get`: an error, or the session (`null` when there is none). `S` is the
 * session type the caller declares (@fastify/session's `Session`, express-session's
 * `SessionData`); the value passed is the stored JSON data, which both libraries restore from.
 */
export type SessionCallback<S = StoredSession> = (error: Error | null, session?: S | null) => void;

/** The callback of `set`, `destroy` and `touch`: called with `null` on success, else an Error. */
export type StoreCallback = (error?: Error | null) => void;

/** Counters of a store since it was created. */
export interface SessionStoreStats {
  /** Sessions read (one cache read each). */
  reads: number;
  /** Sessions written (changed ones; an unchanged session is touched, not written). */
  writes: number;
  /** Values found under the prefix that are not sessions (read as no session). */
  badSessions: number;
  /**
   * Sealed sessions only: values under a session key that did not open (not sealed, malformed,
   * tampered, truncated, moved from another id, sealed with a secret the store does not hold,
   * or past their sealed expiry), read as no session; each also emitted as a `rejected` event.
   */
  rejectedSessions: number;
  /** Reads that failed (cache unavailable): each failed its request (503). */
  readFailures: number;
  /** Writes, deletes and `endSessionsOf` calls that failed and were reported to the caller as a SessionStoreError. */
  writeFailures: number;
  /** Touches that failed (the TTL was not extended; the request went on). */
  touchFailures: number;
  /** Saves refused because the session was deleted while the request held it (a logout): it stays deleted. */
  refusedSaves: number;
}

/** The `rejected` event of a MemcachedStore: a stored value did not open as a sealed session. */
export interface RejectedSessionEvent {
  /** The session id, redacted (see `redactSessionId`). */
  readonly session: string;
  /** Why it did not open. */
  readonly reason: UnsealReason;
}
