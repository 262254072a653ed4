/** Stable error codes carried by every Larder error, for callers that branch on them. */
export type LarderErrorCode =
  | 'E_INVALID_OPTION'
  | 'E_INVALID_ARGUMENT'
  | 'E_SERIALIZE'
  | 'E_DESERIALIZE'
  | 'E_NOT_NUMERIC'
  | 'E_VALUE_TOO_LARGE'
  | 'E_AUTH'
  | 'E_CONNECTION'
  | 'E_TIMEOUT'
  | 'E_SERVER'
  | 'E_NODE_DEAD'
  | 'E_CLOSED'
  // Codes of the adapters' errors (@larder/nunjucks's tag, @larder/session-store, @larder/express).
  | 'E_SYNC_RENDER'
  | 'E_NOT_INSTALLED'
  | 'E_SESSION_READ'
  | 'E_SESSION_WRITE'
  | 'E_SESSION_DESTROY'
  | 'E_SESSION_END'
  | 'E_SESSION_ENCODE';

/** Base class of every error Larder throws or emits; `code` is stable, `cause` is kept. */
export class LarderError extends Error {
  /** Stable machine-readable code. */
  readonly code: LarderErrorCode;

  constructor(code: LarderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option given to a constructor or to `register` is invalid; the message names it. */
export class InvalidOptionError extends LarderError {
  constructor(option: string, problem: string, options?: { cause?: unknown }) {
    super('E_INVALID_OPTION', `Invalid option "${option}": ${problem}`, options);
  }
}

/** An argument of a cache call is invalid (for example an `undefined` value or a negative TTL). */
export class InvalidArgumentError extends LarderError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_INVALID_ARGUMENT', message, options);
  }
}

/** A value cannot be stored faithfully (undefined, a function, a BigInt, NaN...). */
export class SerializationError extends LarderError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_SERIALIZE', message, options);
  }
}

/**
 * Keys can carry user data (a session id, an e-mail), so error messages never contain them:
 * the key is on the error as a non-enumerable `key`, which loggers that copy enumerable
 * properties (pino's `err` serializer) leave out.
 */
function attachKey(error: LarderError, key: string): void {
  Object.defineProperty(error, 'key', { value: key, enumerable: false, writable: false });
}

/** A stored value cannot be decoded (a Python pickle, corrupt JSON); reads treat it as a miss. */
export class DeserializationError extends LarderError {
  /** The flags word stored with the value. */
  readonly flags: number;
  /** The key whose value could not be decoded (non-enumerable, never in the message). */
  declare readonly key: string;

  constructor(key: string, flags: number, options?: { cause?: unknown }) {
    super('E_DESERIALIZE', `Cannot decode a stored value (flags ${flags})`, options);
    this.flags = flags;
    attachKey(this, key);
  }
}

/** `incr`/`decr` on a value that is not a decimal number, as memcached refuses it. */
export class NotNumericError extends LarderError {
  /** The key whose value is not a number (non-enumerable, never in the message). */
  declare readonly key: string;

  constructor(key: string) {
    super('E_NOT_NUMERIC', 'Cannot increment or decrement: the stored value is not a number');
    attachKey(this, key);
  }
}

/** A value is larger than the backend accepts. */
export class ValueTooLargeError extends LarderError {
  /** The key of the refused value (non-enumerable, never in the message). */
  declare readonly key: string;

  constructor(key: string, size: number, limit: number) {
    super('E_VALUE_TOO_LARGE', `A value of ${size} bytes is over the limit of ${limit} bytes`);
    attachKey(this, key);
  }
}

/** The server refused the SASL credentials; names the server. */
export class AuthError extends LarderError {
  /** `host:port` of the server that refused. */
  readonly server: string;

  constructor(server: string, options?: { cause?: unknown }) {
    super('E_AUTH', `memcached ${server} rejected the SASL credentials (check username and password)`, options);
    this.server = server;
  }
}

/** A server could not be reached, or its connection broke; names the server. */
export class ConnectionError extends LarderError {
  /** `host:port` of the server. */
  readonly server: string;

  constructor(server: string, detail: string, options?: { cause?: unknown }) {
    super('E_CONNECTION', `memcached ${server}: ${detail}`, options);
    this.server = server;
  }
}

/** A request got no answer within the configured timeout; names the server. */
export class TimeoutError extends LarderError {
  /** `host:port` of the server. */
  readonly server: string;

  constructor(server: string, ms: number) {
    super('E_TIMEOUT', `memcached ${server} did not answer within ${ms} ms`);
    this.server = server;
  }
}

/** A getOrSet factory (or memoized function) did not settle within `timeout.hard`; it is not a backend failure. */
export class FactoryTimeoutError extends LarderError {
  /** The hard timeout, in ms. */
  readonly ms: number;

  constructor(ms: number) {
    super('E_TIMEOUT', `the value's factory did not settle within ${ms} ms (timeout.hard)`);
    this.ms = ms;
  }
}

/** The server answered with an error status Larder does not map to a result. */
export class ServerError extends LarderError {
  /** The binary protocol status code. */
  readonly status: number;

  constructor(server: string, status: number, detail: string) {
    super('E_SERVER', `memcached ${server} answered status 0x${status.toString(16)}: ${detail}`);
    this.status = status;
  }
}

/** Every node that could hold a key is marked dead; the request was not sent. */
export class NodeDeadError extends LarderError {
  constructor(servers: string, lastFailure?: Error) {
    const why = lastFailure ? `; last failure: ${lastFailure.message}` : '';
    super('E_NODE_DEAD', `every memcached node is marked dead (${servers}); request not sent${why}`, { cause: lastFailure });
  }
}

/**
 * A multi-key read where some nodes failed: `partial` holds what the others returned, `cause`
 * the first failure. Its code is the cause's, so the ignore-errors policy treats it alike.
 */
export class PartialResultError<T = unknown> extends LarderError {
  /** The results of the nodes that answered. */
  readonly partial: Map<string, T>;

  constructor(cause: unknown, partial: Map<string, T>) {
    const code = cause instanceof LarderError ? cause.code : 'E_CONNECTION';
    super(code, `some nodes failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.partial = partial;
  }
}

/** The cache or backend was closed. */
export class ClosedError extends LarderError {
  constructor(what: string) {
    super('E_CLOSED', `${what} is closed`);
  }
}

/** True for errors that mean "the backend is unavailable" (the ignore-errors policy applies). */
export function isAvailabilityError(error: unknown): boolean {
  if (!(error instanceof LarderError)) return true;
  return (
    error.code === 'E_AUTH' ||
    error.code === 'E_CONNECTION' ||
    error.code === 'E_TIMEOUT' ||
    error.code === 'E_SERVER' ||
    error.code === 'E_NODE_DEAD'
  );
}
