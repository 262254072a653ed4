import type { Serializer } from '../values/serializer.js';
import { GraceEnvelope } from '../envelopes/grace-envelope.js';
import { tryLock, type LockAttempt } from '../recompute/stampede-lock.js';
import type { FlightStore } from '../recompute/flight.js';
import { serverLock } from '../recompute/server-lock.js';
import type { ComputeStore, GetOrSetCall } from '../recompute/get-or-set.js';
import type { ReadPath } from './read-path.js';
import { softDelete } from './soft-delete.js';
import type { NearCache } from '../near/near-cache.js';
import { StampedEnvelope, type Stamps } from '../envelopes/stamp-envelope.js';
import type { VersionCounters } from '../versions/version-counters.js';
import { toWriteOptions, type WriteOption } from '../options/write-options.js';
import { toSeconds } from '../options/cache-arguments.js';
import type { Ttl } from '../ttl.js';
import type { Backend, StoredItem, SyncReads } from '../types/backend.js';
import type { ConditionalWriteOutcome, ExtendOutcome, RemoveOutcome, WriteOutcome } from '../types/outcomes.js';
import type { KeySpace } from './key-space.js';
import type { Reporter } from './reporter.js';

/** Which backend call a write makes: a plain store, or one of the conditional ones (see `Cache.writeIf`). */
export type WriteMode = 'set' | 'add' | 'replace';

/** What the write path writes through. */
export interface WritePathParts {
  readonly backend: Backend;
  readonly sync: SyncReads | undefined;
  readonly near: NearCache | undefined;
  readonly versions: VersionCounters;
  readonly serializer: Serializer;
  readonly keys: KeySpace;
  readonly reads: ReadPath;
  readonly reports: Reporter;
  readonly defaultTtl: number;
}

export const NO_KEYS: readonly string[] = Object.freeze([]);
export const STORED: WriteOutcome = Object.freeze({ status: 'stored' });
export const NOT_STORED: WriteOutcome = Object.freeze({ status: 'not-stored' });
export const REMOVED: RemoveOutcome = Object.freeze({ status: 'removed' });
export const EXTENDED: ExtendOutcome = Object.freeze({ status: 'extended' });
export const ABSENT: RemoveOutcome & ExtendOutcome & ConditionalWriteOutcome = Object.freeze({ status: 'absent' });

/**
 * Every write of a Cache, from caller's key to backend call: the value encoded, wrapped in a grace
 * envelope (ttl + grace) and a stamped envelope (namespace and tag versions) when asked, written
 * synchronously when the backend can (memory), the near cache told before and after. Also what
 * the flights call down into: the cluster's lock, deletes, and the reporter.
 */
export class WritePath implements FlightStore, ComputeStore {
  readonly reports: Reporter;
  readonly #parts: WritePathParts;

  constructor(parts: WritePathParts) {
    this.#parts = parts;
    this.reports = parts.reports;
  }

  /** A ttl given (seconds or a duration string) or the default, in seconds. */
  ttl(ttl: Ttl | undefined): number {
    return ttl === undefined ? this.#parts.defaultTtl : toSeconds(ttl);
  }

  /**
   * Writes `value` at the caller's `key` as `option` says. `scopeKeys`: counters to stamp with
   * besides the option's tags (a namespace's); `stamps`: versions read already (getOrSet's).
   * Without a promise when the backend answers synchronously.
   */
  outcome(key: string, value: unknown, option: WriteOption | undefined, scopeKeys = NO_KEYS, stamps?: Stamps, mode: WriteMode = 'set'): WriteOutcome | Promise<WriteOutcome> {
    const { keys, serializer } = this.#parts;
    const full = keys.key(key);
    let item = serializer.encode(value);
    let seconds: number;
    let counterKeys = scopeKeys;
    if (typeof option === 'object' && option !== null) {
      const { ttl, grace, tags, versions } = toWriteOptions(option);
      seconds = this.ttl(ttl);
      // A value that never expires is never stale: it is stored as it is.
      if (grace > 0 && seconds > 0) {
        item = new GraceEnvelope(item, Date.now() + seconds * 1000);
        seconds += grace;
      }
      // Versions read earlier stand for the tags, alone; inside a namespace its counter is read now too.
      if (versions !== undefined && scopeKeys.length === 0 && stamps === undefined) stamps = versions.stamps;
      else if (tags.length > 0) counterKeys = [...scopeKeys, ...keys.tagKeys(tags)];
    } else seconds = this.ttl(option);
    if (stamps === undefined && counterKeys.length > 0) return this.#stampedWrite(key, full, item, seconds, counterKeys, mode);
    return this.#put(key, full, item, seconds, stamps, mode);
  }

  /** getOrSet's write of a computed value: its ttl and grace, the versions read before it was computed; a failure logged, not thrown. */
  write(key: string, value: unknown, call: GetOrSetCall<unknown>): Promise<WriteOutcome> {
    const { ttlSeconds, policy, scope } = call;
    const pending = this.outcome(key, value, { ttl: ttlSeconds, grace: policy.graceSeconds }, NO_KEYS, scope?.stamps);
    return (pending instanceof Promise ? pending : Promise.resolve(pending)).then((outcome) => {
      if (outcome.status === 'failed') this.reports.swallow('set', outcome.error);
      return outcome;
    });
  }

  /** A factory's run time, for the `recompute` event. */
  recomputed(key: string, ms: number, ok: boolean): void {
    this.reports.recomputed(key, ms, ok);
  }

  /**
   * Tries to take the cross-process lock of the backend key `full` for at most `lockMs` (see
   * stampede-lock.ts, or server-lock.ts on a backend with ServerGrace). Undefined when the backend is not shared (memory): a process's own flight is the lock there.
   */
  lock(full: string, lockMs: number, refresh = false): Promise<LockAttempt> | undefined {
    const backend = this.#parts.backend;
    if (!backend.capabilities.shared) return undefined;
    // A backend that locks in its reads (memcached meta) locks there too, so both kinds of lock never meet on one key.
    if (backend.serverGrace !== undefined) return serverLock(backend.serverGrace, full, lockMs, refresh);
    return tryLock(backend, full, lockMs);
  }

  /** Deletes `key`: `removed`, `absent`, or `failed` with the backend's error (counted, emitted). */
  async remove(key: string): Promise<RemoveOutcome> {
    const { keys, near, backend, reports } = this.#parts;
    const full = keys.key(key);
    let deleted: boolean;
    near?.wrote(full);
    try {
      deleted = await backend.delete(full);
    } catch (error) {
      return reports.failure('delete', key, error);
    } finally {
      near?.wrote(full);
    }
    if (!deleted) return ABSENT;
    reports.counts.deletes++;
    return REMOVED;
  }

  /** Marks `key` stale for `graceSeconds` instead of deleting it (see soft-delete.ts): `removed`, `absent`, or `failed`. */
  async soften(key: string, graceSeconds: number): Promise<RemoveOutcome> {
    const { keys, backend, reports } = this.#parts;
    const full = keys.key(key);
    let found: boolean;
    try {
      found = await this.mutating([full], () => softDelete(backend, full, graceSeconds));
    } catch (error) {
      return reports.failure('delete', key, error);
    }
    if (!found) return ABSENT;
    reports.counts.deletes++;
    return REMOVED;
  }

  /** Gives `key` a new TTL without rewriting it (memcached `touch`). */
  async extend(key: string, ttl: Ttl): Promise<ExtendOutcome> {
    const { keys, near, backend, reports } = this.#parts;
    const full = keys.key(key);
    const seconds = toSeconds(ttl);
    let found: boolean;
    near?.wrote(full);
    try {
      found = await backend.touch(full, seconds);
    } catch (error) {
      return reports.failure('touch', key, error);
    } finally {
      near?.wrote(full);
    }
    return found ? EXTENDED : ABSENT;
  }

  /** Runs a write of `fullKeys`, dropping their near entries when it starts and when it settles (a read it overtook cannot refill them). */
  async mutating<T>(fullKeys: readonly string[], run: () => Promise<T>): Promise<T> {
    const near = this.#parts.near;
    if (near === undefined) return run();
    for (const full of fullKeys) near.wrote(full);
    try {
      return await run();
    } finally {
      for (const full of fullKeys) near.wrote(full);
    }
  }

  /** Runs a backend call under the ignore-errors policy: its result, or `fallback` once the failure is reported. */
  async attempt<T>(operation: string, key: string | undefined, fallback: T, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.reports.fail(operation, key, error);
      return fallback;
    }
  }

  /** Encodes and writes through `write`, under the ignore-errors policy; counts what was stored. */
  async plain<R extends boolean | undefined>(operation: string, key: string, value: unknown, write: (full: string, item: StoredItem) => Promise<R>): Promise<R | false> {
    const full = this.#parts.keys.key(key);
    const item = this.#parts.serializer.encode(value);
    const stored = await this.mutating([full], () => this.attempt<R | false>(operation, key, false, () => write(full, item)));
    if (stored) this.reports.counts.sets++;
    return stored;
  }

  async #stampedWrite(key: string, full: string, item: StoredItem, seconds: number, counterKeys: readonly string[], mode: WriteMode): Promise<WriteOutcome> {
    let stamps: Stamps;
    try {
      stamps = await this.#parts.versions.stampsFor(counterKeys);
    } catch (error) {
      return this.reports.failure(mode, key, error);
    }
    return this.#put(key, full, item, seconds, stamps, mode);
  }

  #put(key: string, full: string, item: StoredItem, seconds: number, stamps: Stamps | undefined, mode: WriteMode): WriteOutcome | Promise<WriteOutcome> {
    if (stamps !== undefined) item = new StampedEnvelope(item, stamps);
    this.#parts.reads.wrote(full, stamps);
    const sync = this.#parts.sync;
    // The in-process backend answers a plain set synchronously; add and replace take the promise.
    if (sync === undefined || mode !== 'set') return this.#writeLater(key, full, item, seconds, mode);
    let stored: boolean;
    try {
      stored = sync.setSync(full, item, seconds);
    } catch (error) {
      return this.reports.failure('set', key, error);
    }
    return this.#stored(stored);
  }

  async #writeLater(key: string, full: string, item: StoredItem, seconds: number, mode: WriteMode): Promise<WriteOutcome> {
    const { near, backend, reports } = this.#parts;
    let stored: boolean;
    near?.wrote(full);
    const startedAt = reports.timing() ? performance.now() : -1;
    let ok = false;
    try {
      stored = await backend[mode](full, item, seconds);
      ok = true;
    } catch (error) {
      return reports.failure(mode, key, error);
    } finally {
      near?.wrote(full);
      if (startedAt >= 0) reports.backendCall(mode, startedAt, ok);
    }
    return this.#stored(stored);
  }

  #stored(stored: boolean): WriteOutcome {
    if (!stored) return NOT_STORED;
    this.reports.counts.sets++;
    return STORED;
  }
}
