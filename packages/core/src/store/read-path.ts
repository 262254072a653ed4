import { DeserializationError, PartialResultError, type LarderError } from '../errors.js';
import { NOT_REMEMBERED, type DecodeMemo } from '../values/decode-memo.js';
import { coarseNow } from '../near/coarse-clock.js';
import type { NearCache, NearEntry, ReadTicket } from '../near/near-cache.js';
import { isGraceEnvelope, openGraceEnvelope } from '../envelopes/grace-envelope.js';
import type { Serializer } from '../values/serializer.js';
import type { Backend, LockingRead, StoredItem, SyncReads } from '../types/backend.js';
import type { Entry } from '../recompute/flight.js';
import type { RecomputePolicy } from '../recompute/recompute-options.js';
import { lockOfRead, serverLockSeconds } from '../recompute/server-lock.js';
import type { ReadOutcome } from '../types/outcomes.js';
import type { Reporter } from './reporter.js';
import { carriesScope, type ReadScope } from '../versions/read-scope.js';
import { sinceOf, StampCheck, type Opened } from '../versions/stamp-check.js';
import { isStamped, openStampedEnvelope, type Stamp, type Stamps } from '../envelopes/stamp-envelope.js';
import { tagVersionsOf } from '../versions/tags.js';
import { SoftMarkReads } from '../versions/soft-mark-reads.js';
import type { CounterTicket, VersionCounters } from '../versions/version-counters.js';

/** A decoded value as `readDecodedEntry` found it. */
export interface DecodedEntry<R> {
  /** The decoded value. */
  readonly value: R;
  /** True when the value is past its ttl and within grace. */
  readonly stale: boolean;
}

/** What the read path reads through. */
export interface ReadPathParts {
  readonly backend: Backend;
  readonly sync: SyncReads | undefined;
  readonly near: NearCache | undefined;
  readonly versions: VersionCounters;
  readonly serializer: Serializer;
  readonly reports: Reporter;
}

const MISS: ReadOutcome<never> = Object.freeze({ status: 'miss' });
const NO_ENTRY: Entry<never> = Object.freeze({ kind: 'none' });

/** A backend read that takes the key's recompute token with it (see ServerGrace): what it asks, and what it found. */
interface LockRequest {
  readonly lockSeconds: number;
  readonly graceSeconds: number;
  found?: LockingRead;
}

/** What one backend read sent at `readAt` found at the key (its counters, fetched with it, are recorded under `ticket`). */
interface Fetched {
  readonly item: StoredItem | undefined;
  readonly readAt: number;
  readonly ticket: CounterTicket;
}

/** What one backend read found, for a caller that keeps it: the stored item, and the near entry it filled. */
interface BackendRead {
  item: StoredItem | undefined;
  held: NearEntry | undefined;
}

/**
 * Every read of a Cache, from backend key to outcome: the near cache first (unless fresh), else
 * the backend (synchronously when it can answer so), namespace and tag stamps checked against
 * their counters, grace envelopes opened, the serializer's decode, and a hit kept near.
 *
 * Stamps are checked on every read path (see StampCheck): over an in-process backend (memory) a
 * stamped hit costs no promise; over memcached the counters a read expects come in the value's
 * getMany.
 */
export class ReadPath {
  readonly #parts: ReadPathParts;
  readonly #stamps: StampCheck;
  /** Near refills under way (see #refill), waited for before the cache closes. */
  readonly #refills = new Set<Promise<void>>();

  constructor(parts: ReadPathParts) {
    this.#parts = parts;
    this.#stamps = new StampCheck(parts.versions, parts.sync, parts.reports, new SoftMarkReads(parts.backend, parts.versions.checkIntervalMs));
  }

  /** Waits for the near refills under way, those started meanwhile too, so none reads a closed backend. */
  async drain(): Promise<void> {
    while (this.#refills.size > 0) await Promise.all(this.#refills);
  }

  /** This process wrote the value at `full` with `stamps` (none: unstamped): the next read fetches their counters with it. */
  wrote(full: string, stamps: Stamps | undefined): void {
    this.#stamps.learn(full, stamps);
  }

  /** The outcome of reading `full` (the caller's `key`); without a promise when it can be answered at once. */
  outcome<T>(key: string, full: string, fresh: boolean, scope: ReadScope | undefined, lock?: LockRequest): ReadOutcome<T> | Promise<ReadOutcome<T>> {
    const { near, sync, reports } = this.#parts;
    if (near !== undefined && !fresh) {
      const entry = this.#nearLookup(near, key, full);
      if (entry !== undefined && carriesScope(entry.stamps, scope)) return this.#nearHit<T>(key, entry, near);
      reports.nearMiss(key);
      return this.#backendRead<T>(key, full, scope, near.ticket(), undefined, lock);
    }
    if (sync === undefined) return this.#backendRead<T>(key, full, scope, undefined, undefined, lock);
    let item: StoredItem | undefined;
    try {
      item = sync.getSync(full);
    } catch (error) {
      return reports.failed(key, error);
    }
    // The common case, an unstamped value outside a namespace, allocates nothing more.
    if (scope === undefined && (item === undefined || !isStamped(item))) return this.decode<T>(key, item);
    const opened = this.#stamps.openSync(key, item, scope);
    return 'status' in opened ? opened : withVersions(this.decode<T>(key, opened.inner, verdictOf(opened, opened.inner)), opened.stamps);
  }

  /**
   * What getOrSet's flight reads at `full` under `policy`. On a backend with ServerGrace (memcached
   * meta) the read asks for the key's token too: a miss with a lock policy makes the placeholder
   * and wins it (the lock, in the read's one round trip) or finds it taken; a value past its ttl by
   * the server's clock hands its refresh to one caller. The entry carries that lock.
   */
  async entry<T>(key: string, full: string, fresh: boolean, scope: ReadScope | undefined, policy: RecomputePolicy): Promise<Entry<T>> {
    const grace = this.#parts.backend.serverGrace;
    const lock: LockRequest | undefined =
      grace !== undefined && (policy.lockMs > 0 || policy.graceSeconds > 0) ? { lockSeconds: policy.lockMs > 0 ? serverLockSeconds(policy.lockMs) : 0, graceSeconds: policy.graceSeconds } : undefined;
    const pending = this.outcome<T>(key, full, fresh, scope, lock);
    const outcome = pending instanceof Promise ? await pending : pending;
    const taken = lock?.found === undefined ? undefined : lockOfRead(grace!, full, lock.found);
    if (outcome.status === 'hit') {
      if (taken?.status === 'acquired') void taken.release();
      return { kind: 'fresh', value: outcome.value };
    }
    if (outcome.status === 'miss' && outcome.stale !== undefined) return { kind: 'stale', value: outcome.stale.value, lock: taken };
    this.#parts.reports.valueOf(outcome);
    return taken === undefined ? NO_ENTRY : { kind: 'none', lock: taken };
  }

  /**
   * A stored item (its stamps checked already) as a read outcome; a grace envelope past its ttl
   * is a miss that carries the stale value. A stamped item here was not checked: it is a miss.
   * `verdict`: the server's word on freshness (see StoredItem.stale), which overrides the envelope's.
   */
  decode<T>(key: string, item: StoredItem | undefined, verdict = item?.stale, counted = true): ReadOutcome<T> {
    const { reports } = this.#parts;
    if (item === undefined || isStamped(item)) {
      if (counted) reports.miss(key);
      return MISS;
    }
    let value: unknown;
    let expiresAt = Infinity;
    try {
      if (isGraceEnvelope(item)) {
        const opened = openGraceEnvelope(key, item);
        expiresAt = opened.expiresAt;
        item = opened.inner;
      }
      value = this.#parts.serializer.decode(key, item);
    } catch (error) {
      return reports.undecodable(key, error instanceof DeserializationError ? error : new DeserializationError(key, item.flags, { cause: error }));
    }
    if (verdict !== undefined) {
      if (verdict) expiresAt = Math.min(expiresAt, Date.now());
      else expiresAt = Infinity;
    }
    // Only an envelope (or the server's verdict) has an expiry: a plain hit costs no clock read.
    if (expiresAt !== Infinity && expiresAt <= Date.now()) {
      if (counted) reports.miss(key);
      return { status: 'miss', stale: { value: value as T, expiredAt: expiresAt } };
    }
    if (counted) reports.hit(key);
    return { status: 'hit', value: value as T };
  }

  /** `memo.decode` of the value at `full`, a stale one (within grace) marked so; undefined when absent or unreadable. */
  async decodedEntry<R>(key: string, full: string, memo: DecodeMemo<R>, fresh: boolean): Promise<DecodedEntry<R> | undefined> {
    const { near, sync, reports } = this.#parts;
    if (near !== undefined && !fresh) {
      const entry = this.#nearLookup(near, key, full);
      if (entry !== undefined) {
        const hit = this.#nearHit<unknown>(key, entry, near) as { value: unknown };
        const known = memo.recall(full, entry.item);
        return { value: known !== NOT_REMEMBERED ? known : memo.remember(full, entry.item, hit.value, memo.decode(hit.value)), stale: false };
      }
      reports.nearMiss(key);
      return this.#decodedThroughNear(key, full, memo, near);
    }
    let item: StoredItem | undefined;
    let opened: Opened | ReadOutcome<never>;
    if (sync !== undefined) {
      try {
        item = sync.getSync(full);
      } catch (error) {
        reports.settle(reports.failed(key, error));
        return undefined;
      }
      opened = this.#stamps.openSync(key, item, undefined);
    } else {
      const fetched = await this.#fetch(key, full, undefined);
      if ('status' in fetched) {
        reports.settle(fetched);
        return undefined;
      }
      item = fetched.item;
      opened = await this.#stamps.open(key, full, item, fetched.ticket, undefined);
    }
    if ('status' in opened) {
      reports.settle(opened);
      return undefined;
    }
    const inner = opened.inner;
    if (inner !== undefined) {
      // Recalled by the stored item as read (stamps and all): its stamps were checked just now.
      const known = memo.recall(full, item!);
      if (known !== NOT_REMEMBERED) {
        // The memo holds only items that decoded, so an envelope here opens.
        const stale = verdictOf(opened, item) ?? (isGraceEnvelope(inner) && openGraceEnvelope(key, inner).expiresAt <= Date.now());
        if (stale) reports.miss(key);
        else reports.hit(key);
        return { value: known, stale };
      }
    }
    const outcome = this.decode(key, inner, verdictOf(opened, item));
    if (outcome.status === 'hit') return { value: memo.remember(full, item!, outcome.value, memo.decode(outcome.value)), stale: false };
    if (outcome.status === 'miss' && outcome.stale !== undefined) return { value: memo.remember(full, item!, outcome.stale.value, memo.decode(outcome.stale.value)), stale: true };
    reports.settle(outcome);
    return undefined;
  }

  /** `memo.decode` of the fresh value at `full` when this process holds it (see `Cache.peekDecoded`); undefined, uncounted, otherwise. */
  peekDecoded<R>(key: string, full: string, memo: DecodeMemo<R>): R | undefined {
    const { near, sync, reports } = this.#parts;
    if (near !== undefined) {
      const entry = this.#nearLookup(near, key, full);
      if (entry === undefined) return undefined;
      const known = memo.recall(full, entry.item);
      if (known === NOT_REMEMBERED) return undefined;
      this.#nearHit(key, entry, near);
      return known;
    }
    if (sync === undefined) return undefined;
    let item: StoredItem | undefined;
    let inner: StoredItem | undefined;
    try {
      inner = item = sync.getSync(full);
      // A stamped value's counters are in this process too: checked here, a miss is left to the read that follows.
      if (item !== undefined && isStamped(item)) {
        const opened = openStampedEnvelope(key, item);
        inner = this.#stamps.holdsSync(opened.stamps) ? opened.inner : undefined;
      }
    } catch {
      return undefined;
    }
    if (inner === undefined || isGraceEnvelope(inner)) return undefined;
    const known = memo.recall(full, item!);
    if (known === NOT_REMEMBERED) return undefined;
    reports.hit(key);
    return known;
  }

  /** The values of the keys found (`getMany`): one getMany, with the counters this process expects them stamped with; stamps checked as `get` checks them. */
  async many<T>(keys: readonly string[], fullKeys: readonly string[]): Promise<Record<string, T>> {
    const { backend, sync, versions, reports } = this.#parts;
    const readAt = Date.now();
    const ticket = versions.ticket();
    const counters = sync === undefined ? this.#stamps.countersToFetch(fullKeys, undefined, readAt, ticket) : [];
    let found: Map<string, StoredItem>;
    let complete = true;
    try {
      found = await backend.getMany(counters.length === 0 ? fullKeys : [...fullKeys, ...counters]);
    } catch (error) {
      complete = false;
      reports.manyFailed(error);
      found = error instanceof PartialResultError ? (error.partial as Map<string, StoredItem>) : new Map();
    }
    // A counter missing from a partial answer may sit on the node that failed: not recorded as absent.
    if (complete) for (const counter of counters) versions.record(counter, found.get(counter), readAt, ticket);
    const items: Array<StoredItem | undefined> = [];
    const stamped: Array<Stamps | undefined> = [];
    const all: Stamp[] = [];
    keys.forEach((key, i) => {
      let item = found.get(fullKeys[i]!);
      if (item !== undefined && isStamped(item)) {
        try {
          const opened = openStampedEnvelope(key, item);
          stamped[i] = opened.stamps;
          all.push(...opened.stamps);
          item = opened.inner;
        } catch (error) {
          reports.settle(reports.undecodable(key, error as LarderError));
          item = SETTLED;
        }
      }
      items[i] = item;
    });
    let checked = true;
    if (all.length > 0 && sync === undefined) {
      try {
        await versions.refresh(all, ticket);
      } catch (error) {
        checked = false;
        reports.manyFailed(error);
      }
    }
    const now = Date.now();
    const result: Record<string, T> = {};
    keys.forEach((key, i) => {
      let item = items[i];
      if (item === SETTLED) return;
      const stamps = stamped[i];
      this.#stamps.learn(fullKeys[i]!, stamps);
      if (stamps !== undefined && !(checked && (sync === undefined ? versions.holds(stamps, now, ticket) === true : this.#stamps.holdsQuietly(stamps)))) item = undefined;
      const outcome = this.decode<T>(key, item, found.get(fullKeys[i]!)?.stale);
      if (outcome.status === 'hit') result[key] = outcome.value;
      else reports.settle(outcome);
    });
    return result;
  }

  /**
   * A backend read: the entry, with the version counters it is expected to carry fetched in the
   * same getMany when they are not trusted now (the scope's, and those hinted for the key), any
   * other its stamps name in a second. A hit fills the near cache when `ticket` is given (no
   * write overtook the read).
   */
  async #backendRead<T>(key: string, full: string, scope: ReadScope | undefined, ticket: ReadTicket | undefined, read?: BackendRead, lock?: LockRequest, counted = true): Promise<ReadOutcome<T>> {
    const fetched = await this.#fetch(key, full, scope, lock);
    if ('status' in fetched) return fetched;
    const { item, readAt } = fetched;
    if (read !== undefined) read.item = item;
    const opened = await this.#stamps.open(key, full, item, fetched.ticket, scope);
    if ('status' in opened) return opened;
    const { inner, stamps } = opened;
    const outcome = withVersions(this.decode<T>(key, inner, verdictOf(opened, item), counted), stamps);
    if (ticket === undefined || outcome.status !== 'hit') return outcome;
    const held = this.#parts.near!.fill(full, ticket, readAt, item!, outcome.value, valueEndsAt(key, inner!), stamps);
    if (read !== undefined) read.held = held;
    return held === undefined ? outcome : { status: 'hit', value: this.#parts.near!.valueOf(held) as T };
  }

  /** Reads `full` from the backend, with the counters it is expected to carry that are not trusted now (recorded); a failure as its outcome. */
  async #fetch(key: string, full: string, scope: ReadScope | undefined, lock?: LockRequest): Promise<Fetched | ReadOutcome<never>> {
    const { backend, versions, reports } = this.#parts;
    const readAt = Date.now();
    const ticket = versions.ticket();
    const counters = this.#stamps.countersToFetch([full], scope, readAt, sinceOf(scope, ticket));
    const startedAt = reports.timing() ? performance.now() : -1;
    let item: StoredItem | undefined;
    let operation: 'get' | 'getMany' = 'get';
    try {
      if (counters.length > 0) {
        operation = 'getMany';
        const found = await backend.getMany([full, ...counters]);
        for (const counter of counters) versions.record(counter, found.get(counter), readAt, ticket);
        item = found.get(full);
      } else if (lock !== undefined && backend.serverGrace !== undefined) {
        operation = 'get';
        lock.found = await backend.serverGrace.readOrLock(full, lock.lockSeconds, lock.graceSeconds);
        item = lock.found.item;
      } else item = await backend.get(full);
    } catch (error) {
      if (startedAt >= 0) reports.backendCall(operation, startedAt, false);
      return reports.failed(key, error);
    }
    if (startedAt >= 0) reports.backendCall(operation, startedAt, true);
    return { item, readAt, ticket };
  }

  // decodedEntry's backend read with a near cache: the read fills it, and the memo learns the item it holds.
  async #decodedThroughNear<R>(key: string, full: string, memo: DecodeMemo<R>, near: NearCache): Promise<DecodedEntry<R> | undefined> {
    const read: BackendRead = { item: undefined, held: undefined };
    const outcome = await this.#backendRead<unknown>(key, full, undefined, near.ticket(), read);
    if (outcome.status === 'miss' && outcome.stale !== undefined) return { value: memo.decode(outcome.stale.value), stale: true };
    if (outcome.status !== 'hit') {
      this.#parts.reports.settle(outcome);
      return undefined;
    }
    // The memo learns what this read's own item decodes to (never another read's item, which the
    // near cache may hold by now): a near hit on any item is then recalled by its bytes.
    const item = read.held?.item ?? read.item!;
    const known = memo.recall(full, item);
    return { value: memo.remember(full, item, outcome.value, known !== NOT_REMEMBERED ? known : memo.decode(outcome.value)), stale: false };
  }

  /**
   * The near entry of `full` that may be served now; one held under a namespace version no longer
   * current is dropped. One due for its refill starts it (see NearCache.claimRefill).
   */
  #nearLookup(near: NearCache, key: string, full: string): NearEntry | undefined {
    const now = coarseNow();
    const entry = near.lookup(full, now);
    if (entry === undefined) return undefined;
    if (entry.stamps !== undefined) {
      const holds = this.#parts.versions.holds(entry.stamps, now);
      if (holds !== true) {
        if (holds === false) near.forget(full);
        return undefined;
      }
    }
    if (near.claimRefill(full, entry, now)) {
      const refill = this.#refill(key, full, near, entry).finally(() => this.#refills.delete(refill));
      this.#refills.add(refill);
    }
    return entry;
  }

  /**
   * Reads `full` again for the near cache while `entry` is still served: a hit replaces the entry
   * (unless a write of this process overtook the read), a miss drops it (deleted or expired in the
   * backend). Not counted as a read of the caller's; a backend failure is counted once and the
   * entry kept, without another refill, until it expires.
   */
  async #refill(key: string, full: string, near: NearCache, entry: NearEntry): Promise<void> {
    let failed = true;
    try {
      const outcome = await this.#backendRead<unknown>(key, full, undefined, near.ticket(), undefined, undefined, false);
      failed = outcome.status === 'failed';
      if (outcome.status === 'miss' && near.lookup(full, coarseNow()) === entry) near.forget(full);
    } catch (error) {
      // Nothing waits for a refill: whatever it meets is counted, never an unhandled rejection.
      this.#parts.reports.failed(key, error);
    } finally {
      near.refilled(full, entry, failed);
    }
  }

  #nearHit<T>(key: string, entry: NearEntry, near: NearCache): ReadOutcome<T> {
    const { reports } = this.#parts;
    reports.hit(key);
    reports.nearHit(key);
    return { status: 'hit', value: near.valueOf(entry) as T };
  }
}

/** A hit of a value stamped with tags carries their versions (see HitOutcome.versions); anything else is as it is. */
function withVersions<T>(outcome: ReadOutcome<T>, stamps: Stamps | undefined): ReadOutcome<T> {
  if (stamps === undefined || outcome.status !== 'hit') return outcome;
  const versions = tagVersionsOf(stamps);
  return versions === undefined ? outcome : { status: 'hit', value: outcome.value, versions };
}

/** The word on freshness for `decode`: stale when a tag of the value was softened (see Opened), else the server's (see StoredItem.stale). */
function verdictOf(opened: Opened, item: StoredItem | undefined): boolean | undefined {
  return opened.stale === true ? true : item?.stale;
}

// A stamped item of `many` that was reported as unreadable already.
const SETTLED: StoredItem = Object.freeze({ value: Buffer.alloc(0), flags: 0 });

/** When a stored value stops being fresh: a grace envelope's logical expiry, else never (memcached's own ttl is not known to a reader). */
function valueEndsAt(key: string, item: StoredItem): number {
  return isGraceEnvelope(item) ? openGraceEnvelope(key, item).expiresAt : Infinity;
}
