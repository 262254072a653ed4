import { EventEmitter } from 'node:events';
import { FailureLog, InvalidArgumentError, type Cache, type CacheLogger, type FailedOutcome } from '@larder/core';
import { settleSession, settleVoid } from './callbacks.js';
import { SessionStoreError } from './errors.js';
import { openSource, resolveStoreOptions, type MemcachedStoreOptions, type MemcachedStoreSource } from './options.js';
import { redactSessionId } from './redact.js';
import { decodeSession, encodeSession } from './session-codec.js';
import { sessionLifetime } from './session-ttl.js';
import type { SessionCallback, SessionData, SessionStoreStats, StoreCallback, StoredSession } from './types.js';

const LOG_INTERVAL_MS = 10_000;

/**
 * A session store for @fastify/session (and, through `withExpressSession`, express-session)
 * that keeps each session as JSON under `prefix + sessionId` in a Larder Cache, usually on
 * memcached, for as long as the session cookie lives. Reads fail open (no session), writes
 * fail loudly (a SessionStoreError), and session ids are redacted in everything it logs.
 */
export class MemcachedStore extends EventEmitter {
  /** The cache sessions live in. */
  readonly cache: Cache;
  /** Prepended to a session id to make its cache key. */
  readonly prefix: string;
  /** Seconds a session whose cookie has no expiry lives (0 = no expiry). */
  readonly ttl: number;
  readonly #ownsCache: boolean;
  readonly #stats: SessionStoreStats = { badSessions: 0, readFailures: 0, writeFailures: 0, touchFailures: 0 };
  readonly #logs: Record<'bad' | 'read' | 'write' | 'touch', FailureLog>;
  #closed = false;

  constructor(source: MemcachedStoreSource, options?: MemcachedStoreOptions) {
    super();
    const resolved = resolveStoreOptions(options);
    const { cache, owned } = openSource(source, resolved.logger);
    this.cache = cache;
    this.prefix = resolved.prefix;
    this.ttl = resolved.ttl;
    this.#ownsCache = owned;
    const log = (logger: CacheLogger) => new FailureLog(logger, LOG_INTERVAL_MS, Date.now, 'larder-session');
    this.#logs = { bad: log(resolved.logger), read: log(resolved.logger), write: log(resolved.logger), touch: log(resolved.logger) };
  }

  /** @fastify/session / express-session: `callback(null, session)`, or `callback(null, null)` when there is none. */
  get<S = StoredSession>(sessionId: string, callback: SessionCallback<S>): void {
    settleSession(this.getSession(sessionId), callback);
  }

  /** @fastify/session / express-session: stores the session; `callback(error)` with a SessionStoreError when it was not stored. */
  set(sessionId: string, session: SessionData, callback?: StoreCallback): void {
    settleVoid(this.setSession(sessionId, session), callback);
  }

  /** @fastify/session / express-session: deletes the session; `callback(error)` when the cache could not be reached. */
  destroy(sessionId: string, callback?: StoreCallback): void {
    settleVoid(this.destroySession(sessionId), callback);
  }

  /** express-session: extends the session's TTL from its cookie without rewriting it; never fails the request. */
  touch(sessionId: string, session: SessionData, callback?: StoreCallback): void {
    settleVoid(this.touchSession(sessionId, session), callback);
  }

  /**
   * The stored session, or null when there is none, it is not a session (counted, logged), its
   * cookie has expired, or the cache is unreachable (counted, logged: the request goes on logged out).
   */
  async getSession(sessionId: string): Promise<StoredSession | null> {
    const key = this.#key(sessionId);
    // The cache counts and emits a failure; the store alone logs it (with the id redacted) and counts it as a session read.
    const outcome = await orFailed(this.cache.read(key));
    if (outcome.status === 'failed') {
      this.#stats.readFailures++;
      this.#logs.read.record(`could not read session ${this.#redacted(sessionId)} (${outcome.error.message}); treating the request as having no session`);
      return null;
    }
    if (outcome.status === 'miss') return outcome.undecodable ? this.#badSession(sessionId, 'a value the cache cannot decode') : null;
    const decoded = decodeSession(outcome.value);
    if (!decoded.ok) return this.#badSession(sessionId, decoded.reason);
    return sessionLifetime(decoded.session.cookie, this.ttl).expired ? null : decoded.session;
  }

  /**
   * Stores the session for as long as its cookie lives (else the `ttl` option); an already expired
   * cookie deletes it instead. Rejects with a SessionStoreError when the cache did not store it.
   */
  async setSession(sessionId: string, session: SessionData): Promise<void> {
    const key = this.#key(sessionId);
    const lifetime = sessionLifetime(session?.cookie, this.ttl);
    if (lifetime.expired) return this.destroySession(sessionId);
    let json: string;
    try {
      json = encodeSession(session);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new SessionStoreError('E_SESSION_ENCODE', redactSessionId(sessionId), `Cannot store session ${this.#redacted(sessionId)}: ${reason}`, { cause });
    }
    const outcome = await orFailed(this.cache.write(key, json, lifetime.ttl));
    if (outcome.status === 'stored') return;
    throw this.#writeFailure('E_SESSION_WRITE', 'store', sessionId, outcome.status === 'failed' ? outcome.error : 'the cache did not store it');
  }

  /** Deletes the session (absent is fine); rejects with a SessionStoreError when the cache could not be reached. */
  async destroySession(sessionId: string): Promise<void> {
    const key = this.#key(sessionId);
    const outcome = await orFailed(this.cache.remove(key));
    if (outcome.status === 'failed') throw this.#writeFailure('E_SESSION_DESTROY', 'delete', sessionId, outcome.error);
  }

  /**
   * Gives the stored session the TTL its cookie now asks for, with memcached's `touch`: the data
   * is not rewritten. True when extended; false when the session is gone (touch never brings a
   * deleted session back), its cookie has expired (it is deleted), or the cache failed (counted, logged).
   */
  async touchSession(sessionId: string, session: SessionData): Promise<boolean> {
    const key = this.#key(sessionId);
    const lifetime = sessionLifetime(session?.cookie, this.ttl);
    if (lifetime.expired) {
      await this.destroySession(sessionId).catch(() => undefined);
      return false;
    }
    const outcome = await orFailed(this.cache.extend(key, lifetime.ttl));
    if (outcome.status !== 'failed') return outcome.status === 'extended';
    this.#stats.touchFailures++;
    this.#logs.touch.record(`could not extend session ${this.#redacted(sessionId)} (${outcome.error.message}); it keeps its current TTL`);
    return false;
  }

  /** Checks the cache's backend answers and accepts the credentials; rejects with core's typed errors. */
  connect(): Promise<void> {
    return this.cache.connect();
  }

  /** Counters since creation: a fresh snapshot, synchronous, as `Cache.stats()` is. */
  stats(): SessionStoreStats {
    return { ...this.#stats };
  }

  /** Closes the cache when the store built it (never a Cache you passed in). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsCache) await this.cache.close();
  }

  // Called first by every operation, so a bad id never reads or writes the bare prefix; it
  // rejects the operation's promise, which reaches the framework's callback.
  #key(sessionId: string): string {
    if (typeof sessionId !== 'string' || sessionId === '') {
      const got = typeof sessionId === 'string' ? 'an empty string' : sessionId === null ? 'null' : `a ${typeof sessionId}`;
      throw new InvalidArgumentError(`a session id must be a non-empty string, got ${got}`);
    }
    return this.prefix + sessionId;
  }

  #redacted(sessionId: string): string {
    return this.prefix + redactSessionId(sessionId);
  }

  #badSession(sessionId: string, reason: string): null {
    this.#stats.badSessions++;
    this.#logs.bad.record(`the value under ${this.#redacted(sessionId)} is not a session (${reason}); treating it as no session`);
    return null;
  }

  // The log line names the backend (its servers) and the cache's error; the error, which the
  // framework may send to the client, does not: its cause carries the details instead.
  #writeFailure(code: 'E_SESSION_WRITE' | 'E_SESSION_DESTROY', verb: string, sessionId: string, problem: Error | string): SessionStoreError {
    const detail = typeof problem === 'string' ? problem : problem.message;
    this.#stats.writeFailures++;
    this.#logs.write.record(`could not ${verb} session ${this.#redacted(sessionId)} in ${this.cache.backend.name}: ${detail}`);
    const message = `Could not ${verb} session ${this.#redacted(sessionId)} (the session store failed; the cause, logged, says why)`;
    return new SessionStoreError(code, redactSessionId(sessionId), message, typeof problem === 'string' ? undefined : { cause: problem });
  }
}

// The outcome methods report unavailability; what they still reject with (a closed cache, a
// value too large) fails the session operation the same way, with that error as the cause.
function orFailed<T>(pending: Promise<T>): Promise<T | FailedOutcome> {
  return pending.catch((error: unknown): FailedOutcome => ({ status: 'failed', error: error instanceof Error ? error : new Error(String(error)) }));
}
