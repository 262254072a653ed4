import { isAvailabilityError, LarderError } from '../errors.js';
import type { CacheEvents } from '../events.js';
import type { FailureLog } from '../failure-log.js';
import type { StaleReason } from '../recompute/flight.js';
import type { FailedOutcome, ReadOutcome } from '../types/outcomes.js';

/** Counters of a Cache since it was created. */
export interface CacheStats {
  /** Reads that found a value. */
  hits: number;
  /** Reads that found nothing (including failures and undecodable values). */
  misses: number;
  /** Values written. */
  sets: number;
  /** Keys deleted. */
  deletes: number;
  /** Backend failures and undecodable values. */
  errors: number;
  /** Stale values served (past their ttl, within grace) by the read-compute-write path. */
  stale: number;
  /** Misses on which this process waited for another process's lock instead of computing. */
  lockWaits: number;
  /** Reads answered from the near cache (also counted in `hits`). */
  nearHits: number;
  /** Reads that looked in the near cache and went to the backend. */
  nearMisses: number;
  /** What the near cache holds now; undefined without one. */
  near: { items: number; bytes: number } | undefined;
  /** The backend's name, e.g. `memory` or `memcached(127.0.0.1:11211)`. */
  backend: string;
}

/** How a Reporter reaches the Cache's listeners. */
export interface EventSink {
  listens(name: keyof CacheEvents): boolean;
  emit<K extends keyof CacheEvents>(name: K, event: CacheEvents[K]): void;
}

/**
 * Where every layer under the facade reports what happened: the counters of `stats()`, the
 * events, the failure logs and the ignore-errors policy of the plain methods. One object the read
 * path, the write path and the flights call down into (they never call back up into the Cache).
 */
export class Reporter {
  readonly counts = { hits: 0, misses: 0, sets: 0, deletes: 0, errors: 0, stale: 0, lockWaits: 0, nearHits: 0, nearMisses: 0 };
  readonly #events: EventSink;
  readonly #ignoreErrors: boolean;
  readonly #failures: FailureLog;
  readonly #refreshFailures: FailureLog;
  readonly #backendName: string;

  constructor(events: EventSink, ignoreErrors: boolean, failures: FailureLog, refreshFailures: FailureLog, backendName: string) {
    this.#events = events;
    this.#ignoreErrors = ignoreErrors;
    this.#failures = failures;
    this.#refreshFailures = refreshFailures;
    this.#backendName = backendName;
  }

  hit(key: string): void {
    this.counts.hits++;
    if (this.#events.listens('hit')) this.#events.emit('hit', { key });
  }

  miss(key: string): void {
    this.counts.misses++;
    if (this.#events.listens('miss')) this.#events.emit('miss', { key });
  }

  nearHit(key: string): void {
    this.counts.nearHits++;
    if (this.#events.listens('near-hit')) this.#events.emit('near-hit', { key });
  }

  nearMiss(key: string): void {
    this.counts.nearMisses++;
    if (this.#events.listens('near-miss')) this.#events.emit('near-miss', { key });
  }

  /** A value that is there but cannot be read back: a miss for the caller, an error for stats and listeners. */
  undecodable(key: string, error: LarderError): ReadOutcome<never> {
    this.counts.misses++;
    this.counts.errors++;
    this.#events.emit('error', { operation: 'get', key, error });
    return { status: 'miss', undecodable: error };
  }

  /** A read's backend failure as its outcome (a usage error is rethrown). */
  failed(key: string, error: unknown): ReadOutcome<never> {
    if (isUnreadable(error)) return this.undecodable(key, error);
    const failed = this.failure('get', key, error);
    this.miss(key);
    return failed;
  }

  /** The ignore-errors policy over a read outcome that is not a hit. */
  settle(outcome: ReadOutcome<unknown>): void {
    this.valueOf(outcome);
  }

  /** A read of many keys (`getMany`) failed: counted, emitted, then the ignore-errors policy. */
  manyFailed(error: unknown): void {
    this.fail('getMany', undefined, error);
  }

  /** True when backend calls are to be timed (someone listens). */
  timing(): boolean {
    return this.#events.listens('backend');
  }

  /** A timed backend call ended. */
  backendCall(operation: 'get' | 'getMany' | 'set' | 'add' | 'replace', startedAt: number, ok: boolean): void {
    this.#events.emit('backend', { operation, ms: performance.now() - startedAt, ok });
  }

  /** A stale value is being served. */
  stale(key: string, reason: StaleReason): void {
    this.counts.stale++;
    if (this.#events.listens('stale')) this.#events.emit('stale', { key, reason });
  }

  /** A caller waited for another process's lock. */
  lockWait(): void {
    this.counts.lockWaits++;
  }

  /** A refresh of a stale value failed: logged once per burst. */
  refreshFailed(error: unknown): void {
    this.#refreshFailures.record(`refreshing a stale value failed, serving it until its grace ends: ${error instanceof Error ? error.message : String(error)}`);
  }

  /** A factory run settled after `ms`. */
  recomputed(key: string, ms: number, ok: boolean): void {
    if (this.#events.listens('recompute')) this.#events.emit('recompute', { key, ms, ok });
  }

  /** A failed outcome for an availability error, counted and emitted once; anything else (usage, E_CLOSED) is rethrown. */
  failure(operation: string, key: string | undefined, error: unknown): FailedOutcome {
    if (!isUnreadable(error) && !isAvailabilityError(error)) throw error;
    const failure = error instanceof Error ? error : new Error(String(error));
    this.counts.errors++;
    this.#events.emit('error', key === undefined ? { operation, error: failure } : { operation, key, error: failure });
    return { status: 'failed', error: failure };
  }

  /** A read outcome as the plain methods return it: the value, or undefined after the ignore-errors policy. */
  valueOf<T>(outcome: ReadOutcome<T>): T | undefined {
    if (outcome.status === 'hit') return outcome.value;
    if (outcome.status === 'failed') this.swallow('get', outcome.error);
    else if (outcome.undecodable !== undefined) this.swallow('get', outcome.undecodable);
    return undefined;
  }

  /** The ignore-errors policy of the plain methods over an outcome's error: rethrow it, or log it (once per burst). */
  swallow(operation: string, error: Error): void {
    if (!this.#ignoreErrors && !isUnreadable(error)) throw error;
    this.#failures.record(`${operation} failed on ${this.#backendName}: ${error.message}`);
  }

  /** Counts, emits and then applies the ignore-errors policy to a failure. */
  fail(operation: string, key: string | undefined, error: unknown): void {
    this.swallow(operation, this.failure(operation, key, error).error);
  }
}

/**
 * A stored value the backend cannot read back (a foreign chunk manifest) is reported as an
 * undecodable value is, whatever ignoreErrors says.
 */
export function isUnreadable(error: unknown): error is LarderError {
  return error instanceof LarderError && error.code === 'E_DESERIALIZE';
}
