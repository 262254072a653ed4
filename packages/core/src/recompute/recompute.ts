import { setTimeout as sleep } from 'node:timers/promises';
import { FactoryTimeoutError } from '../errors.js';
import { awaitLock } from './lock-wait.js';
import { SingleFlight } from '../single-flight.js';
import type { RecomputePolicy } from './recompute-options.js';
import type { ReadScope } from '../versions/read-scope.js';
import type { LockAttempt } from './stampede-lock.js';

/** What a read on the recompute path found. */
export type Entry<T> = { readonly kind: 'fresh'; readonly value: T } | { readonly kind: 'stale'; readonly value: T } | { readonly kind: 'none' };

/** Why a stale value was served. */
export type StaleReason = 'expired' | 'error' | 'timeout';

/** What the engine needs of the Cache: reads that tell fresh from stale, writes with grace, the lock, and where to report. */
export interface RecomputeStore {
  /** Reads `key` as `call` says (fresh, in a namespace), a stale value (within grace) included. */
  readEntry<T>(key: string, call: RecomputeCall<unknown>): Promise<Entry<T>>;
  /** Writes `value` for the call's ttl, in a grace envelope when its grace > 0, stamped when in a namespace. */
  store(key: string, value: unknown, call: RecomputeCall<unknown>): Promise<unknown>;
  /** Takes the cross-process lock of `key`; undefined when the backend is not shared (the single-flight is the lock). */
  tryLock(key: string, lockMs: number): Promise<LockAttempt> | undefined;
  /** A stale value is being served. */
  servedStale(key: string, reason: StaleReason): void;
  /** A caller waited for another process's lock. */
  waitedForLock(key: string): void;
  /** A refresh in the background failed (log it once per burst). */
  refreshFailed(key: string, error: unknown): void;
  /** A factory run settled after `ms` (for metrics). */
  factorySettled(key: string, ms: number, ok: boolean): void;
  /** Deletes `key` (a stale value whose refresh failed, with staleIfError off). */
  remove(key: string): Promise<unknown>;
}

/** One getOrSet call's settings, resolved. */
export interface RecomputeCall<T> {
  readonly ttlSeconds: number;
  readonly policy: RecomputePolicy;
  readonly force: boolean;
  readonly shouldStore: ((value: T) => boolean) | undefined;
  /** Read past the near cache. */
  readonly fresh: boolean;
  /** The namespace the call is in, if any. */
  readonly scope: ReadScope | undefined;
}

type Refreshed<T> = { readonly status: 'fresh'; readonly value: T } | { readonly status: 'failed'; readonly error: unknown } | { readonly status: 'skipped' };

const SKIPPED = Object.freeze({ status: 'skipped' as const });
const SOFT_TIMEOUT = Symbol('soft timeout');

/** How long the lock of a refresh is held at most: the lock's timeout, else the hard timeout, else 5 s. */
export function refreshLockMs(policy: RecomputePolicy): number {
  return policy.lockMs || policy.hardMs || DEFAULT_REFRESH_LOCK_MS;
}

const DEFAULT_REFRESH_LOCK_MS = 5000;

/**
 * Background refreshes a process runs at once. A stale value answers its caller at once, so
 * nothing else bounds them: past this, stale values are served without a refresh (the next read
 * tries again), and requests for many distinct stale keys cannot pile up work in the background.
 */
export const MAX_BACKGROUND_REFRESHES = 64;

/**
 * The one read-compute-write path. Within a process, concurrent callers of a key share one flight
 * (keyed on the full backend key). A fresh value is returned. A stale one (past ttl, within grace)
 * is returned at once, or after at most `timeout.soft`, while one refresh runs in the background,
 * taking the cross-process lock first on a shared backend (a process that cannot take it leaves
 * the refresh to its holder), so one caller in the cluster refreshes. On a miss with a lock, one
 * process computes while the others wait for its value (see `awaitLock`: a dead holder delays
 * them, never blocks them). Errors are never stored.
 */
export class Recomputer {
  readonly #store: RecomputeStore;
  readonly #flights = new SingleFlight();
  readonly #refreshes = new SingleFlight();

  constructor(store: RecomputeStore) {
    this.#store = store;
  }

  /** The value of `key` (see the class comment); `flight` names its flights (its backend key, and how the call reads). */
  run<T>(key: string, flight: string, factory: () => T | Promise<T>, call: RecomputeCall<T>): Promise<T> {
    // A safe key holds no line feed, so a forced flight never meets a plain one.
    if (call.force) return this.#flights.run(`${flight}\nforce`, () => this.#compute(key, factory, call));
    return this.#flights.run(flight, async () => {
      const entry = await this.#store.readEntry<T>(key, call as RecomputeCall<unknown>);
      if (entry.kind === 'fresh') return entry.value;
      if (entry.kind === 'stale') return this.#serveStale(key, flight, factory, call, entry.value);
      return call.policy.lockMs > 0 ? this.#computeOnce(key, factory, call) : this.#compute(key, factory, call);
    });
  }

  /** The refreshes running in the background now (for drain and tests). */
  get refreshing(): number {
    return this.#refreshes.size;
  }

  async #serveStale<T>(key: string, full: string, factory: () => T | Promise<T>, call: RecomputeCall<T>, stale: T): Promise<T> {
    const refresh =
      this.#refreshes.size >= MAX_BACKGROUND_REFRESHES && !this.#refreshes.has(full)
        ? Promise.resolve<Refreshed<T>>(SKIPPED)
        : this.#refreshes.run(full, () => this.#refresh(key, factory, call));
    const { softMs, staleIfError } = call.policy;
    if (softMs === 0) return this.#stale(key, 'expired', stale);
    const outcome = await Promise.race([refresh, sleep(softMs, SOFT_TIMEOUT)]);
    if (outcome === SOFT_TIMEOUT) return this.#stale(key, 'timeout', stale);
    if (outcome.status === 'fresh') return outcome.value;
    if (outcome.status === 'skipped' || staleIfError) return this.#stale(key, outcome.status === 'skipped' ? 'expired' : 'error', stale);
    throw outcome.error;
  }

  #stale<T>(key: string, reason: StaleReason, value: T): T {
    this.#store.servedStale(key, reason);
    return value;
  }

  /** One background refresh: never rejects; a failure is reported, and the stale value stays until its grace ends. */
  async #refresh<T>(key: string, factory: () => T | Promise<T>, call: RecomputeCall<T>): Promise<Refreshed<T>> {
    // One refresh in the cluster: the lock is taken whether or not misses use it.
    const lock = await this.#store.tryLock(key, refreshLockMs(call.policy));
    if (lock?.status === 'held') return SKIPPED;
    try {
      return { status: 'fresh', value: await this.#compute(key, factory, call) };
    } catch (error) {
      this.#store.refreshFailed(key, error);
      // Without stale-if-error a failed refresh ends the stale value, so the next caller meets the error.
      if (!call.policy.staleIfError) await this.#store.remove(key).catch(() => {});
      return { status: 'failed', error };
    } finally {
      if (lock?.status === 'acquired') await lock.release();
    }
  }

  /** A miss under the cross-process lock: compute when it is ours (or cannot be had), else take the holder's value. */
  async #computeOnce<T>(key: string, factory: () => T | Promise<T>, call: RecomputeCall<T>): Promise<T> {
    const find = async (): Promise<{ value: T } | undefined> => {
      const entry = await this.#store.readEntry<T>(key, call as RecomputeCall<unknown>);
      if (entry.kind === 'fresh') return { value: entry.value };
      if (entry.kind === 'stale') return { value: this.#stale(key, 'expired', entry.value) };
      return undefined;
    };
    const wait = await awaitLock(() => this.#store.tryLock(key, call.policy.lockMs), call.policy.lockMs, find, () => this.#store.waitedForLock(key));
    if (wait.status === 'found') return wait.value.value;
    try {
      return await this.#compute(key, factory, call);
    } finally {
      if (wait.status === 'acquired') void wait.lock.release();
    }
  }

  /** Runs the factory (bounded by `timeout.hard`) and stores what it gives, unless undefined or refused by `shouldStore`. */
  async #compute<T>(key: string, factory: () => T | Promise<T>, call: RecomputeCall<T>): Promise<T> {
    const keep = async (value: T): Promise<T> => {
      if (value !== undefined && (call.shouldStore?.(value) ?? true)) await this.#store.store(key, value, call as RecomputeCall<unknown>);
      return value;
    };
    const startedAt = performance.now();
    const running = (async () => factory())();
    running.then(
      () => this.#store.factorySettled(key, performance.now() - startedAt, true),
      () => this.#store.factorySettled(key, performance.now() - startedAt, false),
    );
    const hardMs = call.policy.hardMs;
    if (hardMs === 0) return keep(await running);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FactoryTimeoutError(hardMs)), hardMs);
    });
    try {
      return await keep(await Promise.race([running, timedOut]));
    } catch (error) {
      // A factory that settles after the hard timeout still fills the cache for the next caller.
      if (error instanceof FactoryTimeoutError) running.then(keep).catch(() => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
