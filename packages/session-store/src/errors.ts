import { LarderError } from '@larder/core';

/** Stable codes of the errors the session store reports. */
export type SessionStoreErrorCode =
  /** The cache did not store a session (backend down, refused, or value too large). */
  | 'E_SESSION_WRITE'
  /** The cache could not delete a session (backend down). */
  | 'E_SESSION_DESTROY'
  /** A session cannot be turned into JSON (a cycle, a BigInt) or has no `cookie` object. */
  | 'E_SESSION_ENCODE';

/**
 * A session could not be written or deleted. The framework may send the message to the client
 * (Fastify's error reply does), so it is generic: it names the session only by its redacted id
 * (see `redactSessionId`) and never the cache's servers or error text. `cause` keeps the cache's
 * error, which loggers print and Fastify's reply leaves out; the store's log line has the details.
 */
export class SessionStoreError extends LarderError {
  declare readonly code: SessionStoreErrorCode;
  /** The session id, redacted: the first few characters and `…`. */
  readonly session: string;

  constructor(code: SessionStoreErrorCode, session: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.session = session;
  }
}
