import { setTimeout as sleep } from 'node:timers/promises';
import { awaitLock } from './lock-wait.js';
import type { RecomputePolicy } from './recompute-options.js';
import type { HeldLock, LockAttempt } from './stampede-lock.js';

/**
 * What a read on the recompute path found. A read that took the key's lock with it (a server-side
 * lock: memcached meta) or found it held says so in `lock`; the flight then skips its own attempt.
 */
export type Entry<T> =
  | { readonly kind: 'fresh'; readonly value: T }
  | { readonly kind: 'stale'; readonly value: T; readonly lock?: LockAttempt | undefined }
  | { readonly kind: 'none'; readonly lock?: LockAttempt | undefined };

/** Why a stale value was served. */
export type StaleReason = 'expired' | 'error' | 'timeout';

/** Where the flights report: stale values served, lock waits, failed refreshes. */
export interface FlightReports {
  stale(key: string, reason: StaleReason): void;
  lockWait(key: string): void;
  refreshFailed(error: unknown): void;
}

/** What the flights call down into: the cluster's lock, a delete, and where to report. */
export interface FlightStore {
  /**
   * Takes the cross-process lock of the backend key `full` (`refresh`: of a stale value, for its
   * refresh); undefined when the backend is not shared (the flight is the lock).
   */
  lock(full: string, lockMs: number, refresh?: boolean): Promise<LockAttempt> | undefined;
  /** Deletes the caller's `key` (a stale value whose refresh failed, with staleIfError off). */
  remove(key: string): Promise<unknown>;
  readonly reports: FlightReports;
}

/** One opening of a flight: where its value lives, how it is read, and how a stale one is refreshed. */
export interface FlightCall<T> {
  /** The caller's key (events, deletes). */
  readonly key: string;
  /** Its backend key (the lock). */
  readonly full: string;
  readonly policy: RecomputePolicy;
  /** What is stored now. */
  read(): Entry<T> | Promise<Entry<T>>;
  /** What a caller waiting for another process's lock polls (default: `read`). */
  readonly poll?: (() => Promise<Entry<T>>) | undefined;
  /** Computes and stores a fresh value for a stale one, in the background; rejects when it could not. None: the stale value is served as it is. */
  readonly refresh?: ((leaseMs: number) => Promise<T>) | undefined;
}

/** What opening a flight answers. */
export type Opened<T> =
  /** The stored value is fresh. */
  | { readonly state: 'fresh'; readonly value: T }
  /** A stale value (past its ttl, within grace), served while one refresh runs (started now, or already running). */
  | { readonly state: 'stale'; readonly value: T }
  /** Another caller of this process leads: `settled` is what it settles with (undefined: it abandoned, compute yourself). */
  | { readonly state: 'wait'; readonly settled: Promise<T | undefined> }
  /** This caller computes the value: it must `settle` or `abandon` the flight. */
  | Lead<T>;

type Refreshed<T> = { readonly status: 'fresh'; readonly value: T } | { readonly status: 'failed'; readonly error: unknown } | { readonly status: 'skipped' };

const SKIPPED = Object.freeze({ status: 'skipped' as const });
const SOFT_TIMEOUT = Symbol('soft timeout');
const DEFAULT_REFRESH_LOCK_MS = 5000;

/**
 * Background refreshes a process runs at once. A stale value answers its caller at once, so
 * nothing else bounds them: past this, stale values are served without a refresh (the next read
 * tries again), and requests for many distinct stale keys cannot pile up work in the background.
 */
export const MAX_BACKGROUND_REFRESHES = 64;

/** How long the lock of a refresh is held at most: the lock's timeout, else the hard timeout, else 5 s. */
export function refreshLockMs(policy: RecomputePolicy): number {
  return policy.lockMs || policy.hardMs || DEFAULT_REFRESH_LOCK_MS;
}

/**
 * The one read-compute-write engine, in two phases. `open` a flight for a key and its policy:
 * callers of one flight name in this process share it (one home for the in-flight promises). The
 * first reads what is stored: a fresh value is answered; a stale one (past ttl, within grace) is
 * answered at once, or after at most `timeout.soft`, while one refresh runs in the background
 * (taking the cluster's lock first on a shared backend: a process that cannot take it leaves the
 * refresh to its holder; at most MAX_BACKGROUND_REFRESHES at once). On a miss it leads: with a
 * lock policy it first takes the cluster's lock or waits for its holder's value (see `awaitLock`),
 * then `settle`s the flight with the value it computed or `abandon`s it. Callers that arrive
 * meanwhile `wait` for what it settles with. getOrSet, the response cache and their background
 * refreshes all run on it.
 */
export class Flights {
  readonly #store: FlightStore;
  readonly #flights = new Map<string, Lead<unknown>>();
  readonly #refreshes = new Map<string, Promise<Refreshed<unknown>>>();

  constructor(store: FlightStore) {
    this.#store = store;
  }

  /** Opens the flight `name` (see the class comment); `first`: what the caller read at the key already, with no flight open then. */
  open<T>(name: string, call: FlightCall<T>, first?: Entry<T>): Opened<T> | Promise<Opened<T>> {
    const running = this.#flights.get(name) as Lead<T> | undefined;
    if (running !== undefined) return this.#wait(running, call.key);
    const lead = this.#lead<T>(name, call);
    return this.#decide(lead, call, first ?? call.read());
  }

  /** Leads the flight `name` without reading (a forced recompute), or waits for the one that leads it. */
  force<T>(name: string, call: FlightCall<T>): Lead<T> | { readonly state: 'wait'; readonly settled: Promise<T | undefined> } {
    const running = this.#flights.get(name) as Lead<T> | undefined;
    if (running !== undefined) return this.#wait(running, call.key);
    return this.#lead<T>(name, call);
  }

  /** The refreshes running in the background now. */
  get refreshes(): number {
    return this.#refreshes.size;
  }

  /** Waits for the refreshes under way (before a cache closes). */
  async drain(): Promise<void> {
    while (this.#refreshes.size > 0) await Promise.allSettled([...this.#refreshes.values()]);
  }

  #lead<T>(name: string, call: FlightCall<T>): Lead<T> {
    const lead = new Lead<T>(name, () => {
      if (this.#flights.get(name) === lead) this.#flights.delete(name);
    });
    this.#flights.set(name, lead as Lead<unknown>);
    return lead;
  }

  /** A caller waiting for `lead`: served stale too when the flight answered stale (each caller served stale is counted). */
  #wait<T>(lead: Lead<T>, key: string): { readonly state: 'wait'; readonly settled: Promise<T | undefined> } {
    const settled = lead.settled.then((value) => {
      if (lead.staleReason !== undefined) this.#store.reports.stale(key, lead.staleReason);
      return value;
    });
    return { state: 'wait', settled };
  }

  async #decide<T>(lead: Lead<T>, call: FlightCall<T>, read: Entry<T> | Promise<Entry<T>>): Promise<Opened<T>> {
    let entry: Entry<T>;
    try {
      entry = read instanceof Promise ? await read : read;
      if (entry.kind === 'fresh') return lead.answer({ state: 'fresh', value: entry.value });
      if (entry.kind === 'stale') return lead.answer(await this.#serveStale(lead.name, call, entry.value, entry.lock));
      if (call.policy.lockMs === 0) return lead;
      // The read took the lock with it (one round trip), or found it held: no attempt of our own first.
      if (entry.lock?.status === 'acquired') {
        lead.hold(entry.lock, call.policy.lockMs);
        return lead;
      }
      const found = await this.#awaitLock(lead, call, entry.lock);
      return found === undefined ? lead : lead.answer(found);
    } catch (error) {
      lead.abandon(error);
      throw error;
    }
  }

  /** A miss under the cross-process lock: the lock (the lead holds it), or the value its holder stored meanwhile. */
  async #awaitLock<T>(lead: Lead<T>, call: FlightCall<T>, first: LockAttempt | undefined): Promise<Opened<T> | undefined> {
    const { key, full, policy } = call;
    const poll = call.poll ?? call.read;
    const find = async (): Promise<Opened<T> | undefined> => {
      const entry = await poll();
      if (entry.kind === 'fresh') return { state: 'fresh', value: entry.value };
      if (entry.kind === 'stale') return this.#stale(key, 'expired', entry.value);
      return undefined;
    };
    const reports = this.#store.reports;
    let known = first;
    const attempt = (): Promise<LockAttempt> | undefined => {
      if (known === undefined) return this.#store.lock(full, policy.lockMs);
      const given = known;
      known = undefined;
      return Promise.resolve(given);
    };
    const wait = await awaitLock(attempt, policy.lockMs, find, () => reports.lockWait(key));
    if (wait.status === 'found') return wait.value;
    if (wait.status === 'acquired') lead.hold(wait.lock, policy.lockMs);
    return undefined;
  }

  async #serveStale<T>(name: string, call: FlightCall<T>, stale: T, lock: LockAttempt | undefined): Promise<Opened<T>> {
    const { softMs, staleIfError } = call.policy;
    const refresh = this.#startRefresh(name, call, lock);
    if (softMs === 0 || refresh === undefined) return this.#stale(call.key, 'expired', stale);
    const outcome = await Promise.race([refresh, sleep(softMs, SOFT_TIMEOUT)]);
    if (outcome === SOFT_TIMEOUT) return this.#stale(call.key, 'timeout', stale);
    if (outcome.status === 'fresh') return { state: 'fresh', value: outcome.value };
    if (outcome.status === 'skipped' || staleIfError) return this.#stale(call.key, outcome.status === 'skipped' ? 'expired' : 'error', stale);
    throw outcome.error;
  }

  #stale<T>(key: string, reason: StaleReason, value: T): Opened<T> & { readonly reason: StaleReason } {
    this.#store.reports.stale(key, reason);
    return { state: 'stale', value, reason };
  }

  /** The refresh of flight `name`: the one running, a new one, or SKIPPED past the bound; undefined when the call has none. */
  #startRefresh<T>(name: string, call: FlightCall<T>, lock: LockAttempt | undefined): Promise<Refreshed<T>> | undefined {
    if (call.refresh === undefined) {
      if (lock?.status === 'acquired') void lock.release();
      return undefined;
    }
    const running = this.#refreshes.get(name) as Promise<Refreshed<T>> | undefined;
    if (running !== undefined || this.#refreshes.size >= MAX_BACKGROUND_REFRESHES) {
      if (lock?.status === 'acquired') void lock.release();
      return running ?? Promise.resolve(SKIPPED);
    }
    const started = this.#refresh(call, lock).finally(() => this.#refreshes.delete(name));
    this.#refreshes.set(name, started);
    return started;
  }

  /** One background refresh: never rejects; a failure is reported, and the stale value stays until its grace ends. */
  async #refresh<T>(call: FlightCall<T>, taken: LockAttempt | undefined): Promise<Refreshed<T>> {
    // One refresh in the cluster: the lock is taken whether or not misses use it (or came with the read).
    const lockMs = refreshLockMs(call.policy);
    const lock = taken ?? (await this.#store.lock(call.full, lockMs, true));
    if (lock?.status === 'held') return SKIPPED;
    const renewal = lock?.status === 'acquired' ? renewWhileRunning(lock, lockMs) : undefined;
    try {
      return { status: 'fresh', value: await call.refresh!(lockMs) };
    } catch (error) {
      this.#store.reports.refreshFailed(error);
      // Without stale-if-error a failed refresh ends the stale value, so the next caller meets the error.
      if (!call.policy.staleIfError) await this.#store.remove(call.key).catch(() => {});
      return { status: 'failed', error };
    } finally {
      clearInterval(renewal);
      if (lock?.status === 'acquired') await lock.release();
    }
  }
}

/**
 * The caller that computes a flight's value. `settle` hands the value to the callers waiting and
 * lets the lock go once `written` (the value's writes) settles; `abandon` lets them go without a
 * value (each computes its own) or with the error they see. Either ends the flight; a second call
 * does nothing. While it leads under the cluster's lock, the lock's lease is renewed, so a slow
 * computation keeps it and a second process does not compute too.
 */
export class Lead<T> {
  readonly state = 'lead' as const;
  /** What the callers waiting for this flight receive. */
  readonly settled: Promise<T | undefined>;
  /** The flight's name. */
  readonly name: string;
  readonly #end: () => void;
  #resolve!: (value: T | undefined) => void;
  #reject!: (error: unknown) => void;
  #lock: HeldLock | undefined;
  #renewal: NodeJS.Timeout | undefined;
  #closed = false;
  /** Why the flight answered with a stale value, when it did. */
  staleReason: StaleReason | undefined = undefined;

  constructor(name: string, end: () => void) {
    this.name = name;
    this.#end = end;
    this.settled = new Promise<T | undefined>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Nobody may be waiting: an abandon with an error is not an unhandled rejection.
    this.settled.catch(() => {});
  }

  /** True once settled or abandoned. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Hands `value` to the waiting callers and ends the flight; the lock goes once `written` settles. */
  settle(value: T, written?: PromiseLike<unknown>): void {
    if (this.#closed) return;
    this.#close();
    this.#resolve(value);
    if (written === undefined) this.#release();
    else void Promise.resolve(written).then(() => this.#release(), () => this.#release());
  }

  /** Ends the flight without a value: the waiting callers compute their own (no `error`) or see `error`; the lock goes now. */
  abandon(error?: unknown): void {
    if (this.#closed) return;
    this.#close();
    if (error === undefined) this.#resolve(undefined);
    else this.#reject(error);
    this.#release();
  }

  /** Internal: the flight ended on a read (fresh, stale, or found under another's lock): its waiters get that value. */
  answer(opened: Opened<T>): Opened<T> {
    if (opened.state === 'fresh' || opened.state === 'stale') {
      if (opened.state === 'stale') this.staleReason = (opened as { reason?: StaleReason }).reason ?? 'expired';
      this.#close();
      this.#resolve(opened.value);
      this.#release();
    }
    return opened;
  }

  /** Internal: this lead holds the cluster's lock for `lockMs`, renewed until the flight ends. */
  hold(lock: HeldLock, lockMs: number): void {
    this.#lock = lock;
    this.#renewal = renewWhileRunning(lock, lockMs);
  }

  #close(): void {
    this.#closed = true;
    this.#end();
  }

  #release(): void {
    clearInterval(this.#renewal);
    const lock = this.#lock;
    this.#lock = undefined;
    if (lock !== undefined) void lock.release();
  }
}

/** Renews a held lock's lease every half of its timeout, until the interval is cleared. */
function renewWhileRunning(lock: HeldLock, lockMs: number): NodeJS.Timeout {
  const timer = setInterval(() => void lock.renew(), Math.max(lockMs / 2, 250));
  timer.unref();
  return timer;
}
