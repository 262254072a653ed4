import { EventEmitter } from 'node:events';
import { ConnectionError, FailureLog, InvalidArgumentError, isAvailabilityError, type Cache, type CacheLogger, type FailedOutcome, type TagVersions, type WriteOption } from '@larder/core';
import { settleSession, settleVoid } from './callbacks.js';
import { SessionStoreError, UNREACHABLE_MESSAGE, type SessionStoreErrorCode } from './errors.js';
import { openSource, resolveStoreOptions, type MemcachedStoreOptions, type MemcachedStoreSource } from './options.js';
import { redactSessionId } from './redact.js';
import { OpenedValues, type OpenedValue } from './opened-values.js';
import { ReadMarks, type ReadMark } from './read-marks.js';
import { readOriginOf, stampRead } from './read-stamp.js';
import { openBindings, sealBinding, SessionSeal, type UnsealReason } from './seal.js';
import { decodeSession, encodeSessionParts, storedFingerprint, type EncodedSession } from './session-codec.js';
import { readLifetime, sealedUntil, sessionLifetime, touchFitsSeal } from './session-ttl.js';
import type { RejectedSessionEvent, SessionCallback, SessionData, SessionStoreStats, StoreCallback, StoredSession } from './types.js';
import { carriesTag, checkUserStampKeys, userTag, userTagOf, type UserOf } from './user-sessions.js';

const LOG_INTERVAL_MS = 10_000;
// Sessions never read through a near cache: a session written or destroyed by another process is seen at once.
const FRESH = Object.freeze({ fresh: true });

type LogKind = 'bad' | 'rejected' | 'read' | 'write' | 'touch' | 'gone';

/**
 * A session store for @fastify/session (and, through `withExpressSession`, express-session)
 * that keeps each session under `prefix + sessionId` in a Larder Cache, usually on memcached,
 * for as long as the session cookie lives: as JSON, or with a `secret` sealed (AES-256-GCM,
 * bound to the session id). A session a request did not change is touched, not rewritten; a
 * session it read is written back only if it still exists (a logout made meanwhile stays a
 * logout), a new one only where none is. With `userOf`, `endSessionsOf(user)` ends every session
 * of a user in every process. A cache it cannot reach fails the request (a SessionStoreError,
 * status 503) on reads and writes alike, and session ids are redacted in everything it logs. Emits `rejected` (a RejectedSessionEvent) for every stored
 * value that did not open.
 */
export class MemcachedStore extends EventEmitter {
  /** The cache sessions live in. */
  readonly cache: Cache;
  /** Prepended to a session id to make its cache key. */
  readonly prefix: string;
  /** Seconds a session whose cookie has no expiry lives (0 = no expiry). */
  readonly ttl: number;
  /** True when sessions are sealed (a `secret` was given), false when they are stored as plain JSON. */
  readonly sealed: boolean;
  readonly #ownsCache: boolean;
  readonly #seal: SessionSeal | undefined;
  readonly #marks = new ReadMarks();
  readonly #opened = new OpenedValues();
  readonly #userOf: UserOf | undefined;
  readonly #stats: SessionStoreStats = { reads: 0, writes: 0, badSessions: 0, rejectedSessions: 0, readFailures: 0, writeFailures: 0, touchFailures: 0, refusedSaves: 0 };
  readonly #logs: Record<LogKind, FailureLog>;
  #closed = false;

  constructor(source: MemcachedStoreSource, options?: MemcachedStoreOptions) {
    super();
    const resolved = resolveStoreOptions(options);
    const { cache, owned } = openSource(source, resolved.logger);
    this.cache = cache;
    this.prefix = resolved.prefix;
    this.ttl = resolved.ttl;
    // Keys are derived here, once: no request pays for HKDF.
    this.#seal = resolved.secrets === undefined ? undefined : new SessionSeal(resolved.secrets);
    this.sealed = this.#seal !== undefined;
    this.#ownsCache = owned;
    this.#userOf = resolved.userOf;
    if (this.#userOf !== undefined) {
      try {
        checkUserStampKeys(cache.keyPrefix, this.prefix);
      } catch (error) {
        if (owned) void cache.close();
        throw error;
      }
    }
    const log = () => new FailureLog(resolved.logger, LOG_INTERVAL_MS, Date.now, 'larder-session');
    this.#logs = { bad: log(), rejected: log(), read: log(), write: log(), touch: log(), gone: log() };
  }

  /** @fastify/session / express-session: `callback(null, session)`, `callback(null, null)` when there is none, or `callback(error)` (503) when the cache could not be reached. */
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
   * The stored session, or null when there is none, it is not a session (counted, logged), it
   * does not open (sealed sessions: counted, logged, emitted), its cookie has expired, or its
   * user's sessions were ended (`endSessionsOf`). Rejects with a SessionStoreError E_SESSION_READ
   * (status 503; counted, logged) when the cache is unreachable: a request that cannot know its
   * session fails rather than run as nobody (see the README). One cache round trip.
   */
  async getSession(sessionId: string): Promise<StoredSession | null> {
    const key = this.#key(sessionId);
    // The cache counts and emits a failure; the store alone logs it (with the id redacted) and counts it as a session read.
    this.#stats.reads++;
    const outcome = await orFailed(this.cache.read(key, FRESH));
    if (outcome.status !== 'hit') {
      this.#opened.forget(sessionId);
      if (outcome.status === 'failed') throw this.#readFailure(sessionId, outcome.error);
      if (outcome.undecodable === undefined) {
        // Answered by another node while the session's own is out of service: a miss there proves nothing.
        if (this.#ownerAway(key)) throw this.#readFailure(sessionId, new ConnectionError(this.cache.backend.name, 'the node that holds this session is out of service; it cannot be read until the node is back'));
        return null;
      }
      return this.#seal ? this.#rejected(sessionId, 'not-sealed') : this.#badSession(sessionId, 'a value the cache cannot decode');
    }
    const now = Date.now();
    const raw = typeof outcome.value === 'string' || Buffer.isBuffer(outcome.value) ? outcome.value : undefined;
    let opened = raw === undefined ? undefined : this.#opened.recall(sessionId, raw);
    let session: StoredSession;
    if (opened !== undefined) {
      // The very bytes opened before: only the time-dependent checks are left to do.
      if (opened.sealedUntil !== 0 && Math.floor(now / 1000) > opened.sealedUntil) return this.#rejected(sessionId, 'expired');
      session = JSON.parse(opened.json) as StoredSession;
    } else {
      let json: string | undefined;
      let seal: Pick<OpenedValue, 'sealedUntil' | 'retiredSecret'> = UNSEALED;
      if (this.#seal) {
        const unsealed = this.#seal.open(outcome.value, openBindings(this.cache, key), Math.floor(now / 1000));
        if (!unsealed.ok) return this.#rejected(sessionId, unsealed.reason);
        ({ json } = unsealed);
        seal = unsealed;
      } else if (typeof outcome.value === 'string') {
        json = outcome.value;
      }
      const decoded = decodeSession(json ?? outcome.value);
      if (!decoded.ok) return this.#badSession(sessionId, decoded.reason);
      ({ session } = decoded);
      json ??= JSON.stringify(session);
      // Taken before the cookie is moved below (the fingerprint leaves its expiry out anyway).
      opened = { json, sealedUntil: seal.sealedUntil, retiredSecret: seal.retiredSecret, fingerprint: storedFingerprint(json, session) };
      if (raw !== undefined) this.#opened.remember(sessionId, raw, opened);
    }
    const lifetime = readLifetime(session.cookie, now);
    if (lifetime === 'expired') return null;
    const tag = userTagOf(this.prefix, this.#userOf, session);
    // Every session of a user carries that user's stamp (checked current by the read): one without was written before userOf.
    if (tag !== undefined && !carriesTag(outcome.versions, tag)) return this.#badSession(sessionId, "a session of a user, not stamped with that user's counter");
    this.#marks.add(sessionId, opened, now);
    // Travels with the session to its save: written back only if it is still there, with this stamp.
    stampRead(session as Record<string, unknown>, sessionId, outcome.versions);
    if (lifetime === 'rolled') {
      // Touched since it was written: the cache holds it, so it lives; its stored expiry is stale.
      session.cookie.expires = new Date(now + session.cookie.originalMaxAge!).toISOString();
    }
    return session;
  }

  /**
   * Stores the session for as long as its cookie lives (else the `ttl` option); an already expired
   * cookie deletes it instead. A session unchanged since this store read it in this request is
   * not rewritten: its TTL is extended (memcached `touch`). A changed session that was read from
   * the store (it carries the store's `larderRead` member) is written only if it is still there
   * (memcached `replace`, with the user stamp read), a new one only where nothing is (`add`): a
   * session deleted meanwhile (a logout in another tab, or by `endSessionsOf`) stays deleted, an
   * id already taken is never written over, and each refusal is counted and logged once per burst.
   * Rejects with a SessionStoreError when the cache did not store a changed session.
   */
  async setSession(sessionId: string, session: SessionData): Promise<void> {
    const key = this.#key(sessionId);
    const now = Date.now();
    const lifetime = sessionLifetime(session?.cookie, this.ttl, now);
    if (lifetime.expired) return this.destroySession(sessionId);
    const encoded = this.#encode(sessionId, session);
    const mark = this.#marks.take(sessionId, encoded.fingerprint, now);
    if (mark !== undefined) {
      await this.#keepUnchanged(sessionId, key, session, encoded, lifetime.ttl, mark, now);
      return;
    }
    // Changed: reads of the version it replaces no longer vouch for anything.
    this.#marks.forget(sessionId);
    const json = this.#json(sessionId, encoded);
    const stored = this.#storedForm(key, json, lifetime.ttl, now);
    const origin = readOriginOf(session as unknown as Readonly<Record<string, unknown>>, sessionId);
    if (origin.read === 'altered') return this.#refused(sessionId, 'its larderRead member was changed by the app');
    const option = this.#writeOption(session, lifetime.ttl, origin.read ? origin.versions : undefined);
    const outcome = await orFailed(this.cache.writeIf(key, stored.value, origin.read ? 'present' : 'absent', option));
    if (outcome.status === 'stored') {
      this.#stats.writes++;
      // A second save of this session in this request (an explicit save(), then the automatic one) is a save of a stored session.
      stampRead(session as unknown as Record<string, unknown>, sessionId, versionsOf(option));
      // The next read of these bytes (the next request, usually) needs no decryption.
      this.#opened.remember(sessionId, stored.value, { json, sealedUntil: stored.sealedUntil, retiredSecret: false, fingerprint: encoded.fingerprint });
      return;
    }
    if (outcome.status === 'absent') return this.#gone(sessionId);
    if (outcome.status === 'present') return this.#refused(sessionId, 'a new session, but its id is already in the store (never written over)');
    throw this.#writeFailure('E_SESSION_WRITE', 'store', sessionId, outcome.error);
  }

  /**
   * Ends every session of `user` (as `userOf` names users), in every process sharing the cache:
   * one `incr` of the user's version counter, no key enumerated; each of those sessions reads as
   * no session from then on (another process with a near cache on its Cache: within the near
   * cache's `checkInterval`). Sessions made afterwards work. Needs the `userOf` option; rejects
   * with a SessionStoreError E_SESSION_END (503) when the cache could not be reached.
   */
  async endSessionsOf(user: string | number): Promise<void> {
    if (this.#userOf === undefined) throw new InvalidArgumentError('endSessionsOf needs the userOf option: new MemcachedStore(source, { userOf: (session) => session.user })');
    if (!(typeof user === 'string' && user !== '') && !(typeof user === 'number' && Number.isFinite(user))) {
      throw new InvalidArgumentError(`endSessionsOf takes a user id (a non-empty string or a number), got ${user === '' ? 'an empty string' : user === null ? 'null' : typeof user}`);
    }
    let ended: boolean;
    let cause: unknown;
    try {
      ended = await this.cache.invalidateTags([userTag(this.prefix, user)]);
    } catch (error) {
      ended = false;
      cause = error;
    }
    if (ended) return;
    this.#stats.writeFailures++;
    this.#logs.write.record(`could not end the sessions of a user in ${this.cache.backend.name}${cause instanceof Error ? `: ${cause.message}` : ' (the cache logged why)'}`);
    throw new SessionStoreError('E_SESSION_END', '', UNREACHABLE_MESSAGE, { cause, statusCode: 503 });
  }

  /** Deletes the session (absent is fine); rejects with a SessionStoreError when the cache could not be reached. */
  async destroySession(sessionId: string): Promise<void> {
    const key = this.#key(sessionId);
    this.#opened.forget(sessionId);
    const outcome = await orFailed(this.cache.remove(key));
    if (outcome.status === 'failed') throw this.#writeFailure('E_SESSION_DESTROY', 'delete', sessionId, outcome.error);
  }

  /**
   * Gives the stored session the TTL its cookie now asks for, with memcached's `touch`: the data
   * is not rewritten. True when extended; false when the session is gone (touch never brings a
   * deleted session back), its cookie has expired (it is deleted), or the cache failed (counted,
   * logged). A sealed session read with a retired secret, or near the end of its seal, is
   * resealed in place instead (memcached `replace`, so a deleted session stays deleted).
   */
  async touchSession(sessionId: string, session: SessionData): Promise<boolean> {
    const key = this.#key(sessionId);
    const now = Date.now();
    const lifetime = sessionLifetime(session?.cookie, this.ttl, now);
    if (lifetime.expired) {
      await this.destroySession(sessionId).catch(() => undefined);
      return false;
    }
    // The read this touch ends is taken; a seal is renewed only from the very data that was read.
    const encoded = tryEncode(session);
    const mark = encoded && this.#marks.take(sessionId, encoded.fingerprint, now);
    if (encoded && mark && this.#needsReseal(mark, lifetime.ttl, now)) return this.#reseal(sessionId, key, session, encoded, lifetime.ttl, now);
    return this.#extend(sessionId, key, lifetime.ttl);
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

  #encode(sessionId: string, session: SessionData): EncodedSession {
    try {
      return encodeSessionParts(session);
    } catch (cause) {
      throw this.#encodeFailure(sessionId, cause);
    }
  }

  #json(sessionId: string, encoded: EncodedSession): string {
    try {
      return encoded.json();
    } catch (cause) {
      throw this.#encodeFailure(sessionId, cause);
    }
  }

  #encodeFailure(sessionId: string, cause: unknown): SessionStoreError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new SessionStoreError('E_SESSION_ENCODE', redactSessionId(sessionId), `Cannot store session ${this.#redacted(sessionId)}: ${reason}`, { cause });
  }

  /** The value written to the cache (the JSON text, or its seal) and until when a seal is valid (0: no limit). */
  #storedForm(key: string, json: string, ttl: number, now: number): { value: string | Buffer; sealedUntil: number } {
    if (this.#seal === undefined) return { value: json, sealedUntil: 0 };
    const until = sealedUntil(ttl, now);
    return { value: this.#seal.seal(json, sealBinding(this.cache, key), until), sealedUntil: until };
  }

  #needsReseal(mark: ReadMark, ttl: number, now: number): boolean {
    return this.#seal !== undefined && (mark.retiredSecret || !touchFitsSeal(mark.sealedUntil, ttl, now));
  }

  // An unchanged session: touched, or resealed in place. Either keeps what the cache holds now: a
  // version another process wrote meanwhile stays, and a session deleted meanwhile stays deleted.
  async #keepUnchanged(sessionId: string, key: string, session: SessionData, encoded: EncodedSession, ttl: number, mark: ReadMark, now: number): Promise<void> {
    if (this.#needsReseal(mark, ttl, now)) await this.#reseal(sessionId, key, session, encoded, ttl, now);
    else await this.#extend(sessionId, key, ttl);
  }

  async #extend(sessionId: string, key: string, ttl: number): Promise<boolean> {
    const outcome = await orFailed(this.cache.extend(key, ttl));
    if (outcome.status !== 'failed') return outcome.status === 'extended';
    this.#stats.touchFailures++;
    this.#logs.touch.record(`could not extend session ${this.#redacted(sessionId)} (${outcome.error.message}); it keeps its current TTL`);
    return false;
  }

  // replace stores only over a value that is there: a session deleted since it was read stays
  // deleted; its user's stamp is the one read. A failure leaves the old seal in place, valid until
  // its end (the cache counts it).
  async #reseal(sessionId: string, key: string, session: SessionData, encoded: EncodedSession, ttl: number, now: number): Promise<boolean> {
    try {
      const json = this.#json(sessionId, encoded);
      const stored = this.#storedForm(key, json, ttl, now);
      const origin = readOriginOf(session as unknown as Readonly<Record<string, unknown>>, sessionId);
      if (origin.read !== true) return false;
      const outcome = await this.cache.writeIf(key, stored.value, 'present', this.#writeOption(session, ttl, origin.versions));
      const replaced = outcome.status === 'stored';
      if (replaced) this.#opened.remember(sessionId, stored.value, { json, sealedUntil: stored.sealedUntil, retiredSecret: false, fingerprint: encoded.fingerprint });
      return replaced;
    } catch {
      return false;
    }
  }

  /**
   * The TTL of a write, and with `userOf` the stamp of the session's user: the versions read with
   * the session when it is the same user's (so an `endSessionsOf` since that read still ends it),
   * else the user's counter as it is now.
   */
  #writeOption(session: SessionData, ttl: number, versions: TagVersions | undefined): WriteOption {
    const tag = userTagOf(this.prefix, this.#userOf, session);
    if (tag === undefined) return ttl;
    return { ttl, tags: versions !== undefined && carriesTag(versions, tag) ? versions : [tag] };
  }

  // A read that cannot tell whether the session exists fails the request (503) rather than run it as nobody, where a logout would delete nothing.
  #readFailure(sessionId: string, problem: Error): SessionStoreError {
    this.#stats.readFailures++;
    this.#logs.read.record(`could not read session ${this.#redacted(sessionId)} (${problem.message}); the request fails rather than run as nobody`);
    return this.#failure('E_SESSION_READ', sessionId, problem);
  }

  /** True when the node that owns `key` is out of the ring, so a miss was answered by another node. */
  #ownerAway(key: string): boolean {
    const backend = this.cache.backend;
    return backend.routedAway !== undefined && backend.routedAway(this.cache.backendKey(key));
  }

  // A save refused because the session was deleted since the request read it: a logout, which stays one.
  #gone(sessionId: string): void {
    this.#refused(sessionId, 'it was deleted while a request held it (a logout); its changes were not written back');
  }

  #refused(sessionId: string, why: string): void {
    this.#stats.refusedSaves++;
    this.#logs.gone.record(`session ${this.#redacted(sessionId)} not saved: ${why}`);
  }

  #rejected(sessionId: string, reason: UnsealReason): null {
    this.#stats.rejectedSessions++;
    this.#logs.rejected.record(`the value under ${this.#redacted(sessionId)} did not open (${reason}); treating it as no session`);
    const event: RejectedSessionEvent = { session: redactSessionId(sessionId), reason };
    try {
      this.emit('rejected', event);
    } catch (error) {
      // A listener's bug must not turn a rejected value into a failed request.
      this.#logs.rejected.record(`a 'rejected' listener threw: ${error instanceof Error ? error.message : String(error)}`);
    }
    return null;
  }

  #badSession(sessionId: string, reason: string): null {
    this.#stats.badSessions++;
    this.#logs.bad.record(`the value under ${this.#redacted(sessionId)} is not a session (${reason}); treating it as no session`);
    return null;
  }

  // The log line names the backend (its servers) and the cache's error; the error, which the
  // framework may send to the client, does not.
  #writeFailure(code: 'E_SESSION_WRITE' | 'E_SESSION_DESTROY', verb: string, sessionId: string, problem: Error): SessionStoreError {
    this.#stats.writeFailures++;
    this.#logs.write.record(`could not ${verb} session ${this.#redacted(sessionId)} in ${this.cache.backend.name}: ${problem.message}`);
    return this.#failure(code, sessionId, problem);
  }

  // What the client may see: that the store could not be reached (503), or a generic 500; never
  // the session id, the servers, or the cache's message (the cause carries them, for loggers).
  #failure(code: SessionStoreErrorCode, sessionId: string, problem: Error): SessionStoreError {
    const unreachable = isAvailabilityError(problem);
    const message = unreachable ? UNREACHABLE_MESSAGE : 'The session could not be saved (the cause, logged, says why)';
    return new SessionStoreError(code, redactSessionId(sessionId), message, { cause: problem, statusCode: unreachable ? 503 : 500 });
  }
}

const UNSEALED = Object.freeze({ sealedUntil: 0, retiredSecret: false });

function versionsOf(option: WriteOption): TagVersions | undefined {
  return typeof option === 'object' && option.tags !== undefined && !Array.isArray(option.tags) ? (option.tags as TagVersions) : undefined;
}

function tryEncode(session: SessionData): EncodedSession | undefined {
  try {
    return encodeSessionParts(session);
  } catch {
    return undefined;
  }
}

// The outcome methods report unavailability; what they still reject with (a closed cache, a
// value too large) fails the session operation the same way, with that error as the cause.
function orFailed<T>(pending: Promise<T>): Promise<T | FailedOutcome> {
  return pending.catch((error: unknown): FailedOutcome => ({ status: 'failed', error: error instanceof Error ? error : new Error(String(error)) }));
}
