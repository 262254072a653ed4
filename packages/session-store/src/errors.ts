import { LarderError } from '@larder/core';

/** Stable codes of the errors the session store reports. */
export type SessionStoreErrorCode =
  /** The cache could not be read (backend down): the request fails rather than run as nobody. */
  | 'E_SESSION_READ'
  /** The cache did not store a session (backend down, refused, or value too large). */
  | 'E_SESSION_WRITE'
  /** The cache could not delete a session (backend down). */
  | 'E_SESSION_DESTROY'
  /** `endSessionsOf` could not reach the cache: the user's sessions were not ended. */
  | 'E_SESSION_END'
  /** A session cannot be turned into JSON (a cycle, a BigInt) or has no `cookie` object. */
  | 'E_SESSION_ENCODE';

/** What a client is told when the cache is unreachable: no session id, no server, no cause. */
export const UNREACHABLE_MESSAGE = 'The session store could not be reached; please try again shortly';

/**
 * A session could not be read, written or deleted. The framework may send the message to the
 * client (Fastify's error reply does), so it is generic and never names the session: when the
 * cache was unreachable it says so, with `statusCode` 503 (both Fastify and Express answer with
 * it), else 500. `session` holds the id redacted (see `redactSessionId`) for logs; `cause` keeps
 * the cache's error, which loggers print and Fastify's reply leaves out; the store's log line has
 * the details.
 */
export class SessionStoreError extends LarderError {
  declare readonly code: SessionStoreErrorCode;
  /** The session id, redacted: the first few characters and `…` (empty for `E_SESSION_END`). */
  readonly session: string;
  /** The HTTP status the failure calls for: 503 when the cache was unreachable, else 500. */
  readonly statusCode: 500 | 503;

  constructor(code: SessionStoreErrorCode, session: string, message: string, options?: { cause?: unknown; statusCode?: 500 | 503 }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.session = session;
    this.statusCode = options?.statusCode ?? 500;
  }
}
