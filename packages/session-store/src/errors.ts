/** Stable codes of the errors the session store reports. */
export type SessionStoreErrorCode =
  /** The cache did not store a session (backend down, refused, or value too large). */
  | 'E_SESSION_WRITE'
  /** The cache could not delete a session (backend down). */
  | 'E_SESSION_DESTROY'
  /** A session cannot be turned into JSON (a cycle, a BigInt) or has no `cookie` object. */
  | 'E_SESSION_ENCODE';

/**
 * A session could not be written or deleted. Its message names the session only by its redacted
 * id (see `redactSessionId`); `cause` keeps the cache's error when there was one.
 */
export class SessionStoreError extends Error {
  /** Stable machine-readable code. */
  readonly code: SessionStoreErrorCode;
  /** The session id, redacted: the first few characters and `…`. */
  readonly session: string;

  constructor(code: SessionStoreErrorCode, session: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionStoreError';
    this.code = code;
    this.session = session;
  }
}
