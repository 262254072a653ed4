import { DeserializationError, type LarderError } from './errors.js';
import { NOT_REMEMBERED, type DecodeMemo } from './decode-memo.js';
import { coarseNow } from './near/coarse-clock.js';
import type { NearCache, NearEntry, ReadTicket } from './near/near-cache.js';
import { isGraceEnvelope, openGraceEnvelope } from './recompute/grace-envelope.js';
import type { Serializer } from './serializer.js';
import type { Backend, StoredItem, SyncReads } from './types/backend.js';
import type { ReadOutcome } from './types/outcomes.js';
import type { ReadScope } from './versions/read-scope.js';
import { isStamped, openStampedEnvelope, type Stamps } from './versions/stamp-envelope.js';
import type { VersionCounters } from './versions/version-counters.js';

/** A decoded value as `readDecodedEntry` found it. */
export interface DecodedEntry<R> {
  /** The decoded value. */
  readonly value: R;
  /** True when the value is past its ttl and within grace. */
  readonly stale: boolean;
}

/** Where a read reports what it found: the Cache's counters, events and failure policy. */
export interface ReadReports {
  hit(key: string): void;
  miss(key: string): void;
  nearHit(key: string): void;
  nearMiss(key: string): void;
  /** A value that is there but cannot be read back: counted, emitted, a miss for the caller. */
  undecodable(key: string, error: LarderError): ReadOutcome<never>;
  /** The backend failed (a usage error is rethrown). */
  failed(key: string, error: unknown): ReadOutcome<never>;
  /** The ignore-errors policy over an outcome that is not a hit. */
  settle(outcome: ReadOutcome<unknown>): void;
  /** True when backend calls are to be timed (someone listens). */
  timing(): boolean;
  /** A timed backend call ended. */
  backendCall(operation: 'get' | 'getMany', startedAt: number, ok: boolean): void;
}

/** What the read path reads through. */
export interface ReadPathParts {
  readonly backend: Backend;
  readonly sync: SyncReads | undefined;
  readonly near: NearCache | undefined;
  readonly versions: VersionCounters;
  readonly serializer: Serializer;
  readonly reports: ReadReports;
}

const MISS: ReadOutcome<never> = Object.freeze({ status: 'miss' });

/** What one backend read found, for a caller that keeps it: the stored item, and the near entry it filled. */
interface BackendRead {
  item: StoredItem | undefined;
  held: NearEntry | undefined;
}

/**
 * Every read of a Cache, from backend key to outcome: the near cache first (unless fresh), else
 * the backend (synchronously when it can answer so), namespace stamps checked against their
 * counters, grace envelopes opened, the serializer's decode, and a hit kept near.
 */
export class ReadPath {
  readonly #parts: ReadPathParts;

  constructor(parts: ReadPathParts) {
    this.#parts = parts;
  }

  /** The outcome of reading `full` (the caller's `key`); without a promise when it can be answered at once. */
  outcome<T>(key: string, full: string, fresh: boolean, scope: ReadScope | undefined): ReadOutcome<T> | Promise<ReadOutcome<T>> {
    const { near, sync, reports } = this.#parts;
    if (near !== undefined && !fresh) {
      const entry = this.#nearLookup(near, full);
      if (entry !== undefined && (scope === undefined || entry.stamps?.some((stamp) => stamp.key === scope.versionKey) === true)) return this.#nearHit<T>(key, entry, near);
      reports.nearMiss(key);
      return this.#backendRead<T>(key, full, scope, near.ticket());
    }
    if (sync === undefined || scope !== undefined) return this.#backendRead<T>(key, full, scope, undefined);
    let item: StoredItem | undefined;
    try {
      item = sync.getSync(full);
    } catch (error) {
      return reports.failed(key, error);
    }
    return this.decode<T>(key, item);
  }

  /** A stored item as a read outcome; a grace envelope past its ttl is a miss that carries the stale value. */
  decode<T>(key: string, item: StoredItem | undefined): ReadOutcome<T> {
    const { reports } = this.#parts;
    // A namespace's value is read through a path that checks its stamps; without one it is not there.
    if (item === undefined || isStamped(item)) {
      reports.miss(key);
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
    // Only an envelope has an expiry: a plain hit costs no clock read.
    if (expiresAt !== Infinity && expiresAt <= Date.now()) {
      reports.miss(key);
      return { status: 'miss', stale: { value: value as T, expiredAt: expiresAt } };
    }
    reports.hit(key);
    return { status: 'hit', value: value as T };
  }

  /** `memo.decode` of the value at `full`, a stale one (within grace) marked so; undefined when absent or unreadable. */
  async decodedEntry<R>(key: string, full: string, memo: DecodeMemo<R>, fresh: boolean): Promise<DecodedEntry<R> | undefined> {
    const { near, sync, backend, reports } = this.#parts;
    if (near !== undefined && !fresh) {
      const entry = this.#nearLookup(near, full);
      if (entry !== undefined) {
        const hit = this.#nearHit<unknown>(key, entry, near) as { value: unknown };
        const known = memo.recall(full, entry.item);
        return { value: known !== NOT_REMEMBERED ? known : memo.remember(full, entry.item, hit.value, memo.decode(hit.value)), stale: false };
      }
      reports.nearMiss(key);
      return this.#decodedThroughNear(key, full, memo, near);
    }
    let item: StoredItem | undefined;
    const startedAt = sync === undefined && reports.timing() ? performance.now() : -1;
    try {
      item = sync === undefined ? await backend.get(full) : sync.getSync(full);
    } catch (error) {
      if (startedAt >= 0) reports.backendCall('get', startedAt, false);
      reports.settle(reports.failed(key, error));
      return undefined;
    }
    if (startedAt >= 0) reports.backendCall('get', startedAt, true);
    if (item !== undefined) {
      const known = memo.recall(full, item);
      if (known !== NOT_REMEMBERED) {
        // The memo holds only items that decoded, so an envelope here opens.
        const stale = isGraceEnvelope(item) && openGraceEnvelope(key, item).expiresAt <= Date.now();
        if (stale) reports.miss(key);
        else reports.hit(key);
        return { value: known, stale };
      }
    }
    const outcome = this.decode(key, item);
    if (outcome.status === 'hit') return { value: memo.remember(full, item!, outcome.value, memo.decode(outcome.value)), stale: false };
    if (outcome.status === 'miss' && outcome.stale !== undefined) return { value: memo.remember(full, item!, outcome.stale.value, memo.decode(outcome.stale.value)), stale: true };
    reports.settle(outcome);
    return undefined;
  }

  /** `memo.decode` of the fresh value at `full` when this process holds it (see `Cache.peekDecoded`); undefined, uncounted, otherwise. */
  peekDecoded<R>(key: string, full: string, memo: DecodeMemo<R>): R | undefined {
    const { near, sync, reports } = this.#parts;
    if (near !== undefined) {
      const entry = this.#nearLookup(near, full);
      if (entry === undefined) return undefined;
      const known = memo.recall(full, entry.item);
      if (known === NOT_REMEMBERED) return undefined;
      this.#nearHit(key, entry, near);
      return known;
    }
    if (sync === undefined) return undefined;
    let item: StoredItem | undefined;
    try {
      item = sync.getSync(full);
    } catch {
      return undefined;
    }
    if (item === undefined || isGraceEnvelope(item) || isStamped(item)) return undefined;
    const known = memo.recall(full, item);
    if (known === NOT_REMEMBERED) return undefined;
    reports.hit(key);
    return known;
  }

  /**
   * A backend read: the entry, with its namespace's version counter when that is not trusted now
   * (one getMany). A hit fills the near cache when `ticket` is given (no write overtook the read).
   */
  async #backendRead<T>(key: string, full: string, scope: ReadScope | undefined, ticket: ReadTicket | undefined, read?: BackendRead): Promise<ReadOutcome<T>> {
    const { backend, versions, reports } = this.#parts;
    const readAt = Date.now();
    const startedAt = reports.timing() ? performance.now() : -1;
    let item: StoredItem | undefined;
    let operation: 'get' | 'getMany' = 'get';
    try {
      if (scope !== undefined && versions.trusted(scope.versionKey, readAt, scope.since) === undefined) {
        operation = 'getMany';
        const found = await backend.getMany([full, scope.versionKey]);
        versions.record(scope.versionKey, found.get(scope.versionKey), readAt);
        item = found.get(full);
      } else item = await backend.get(full);
    } catch (error) {
      if (startedAt >= 0) reports.backendCall(operation, startedAt, false);
      return reports.failed(key, error);
    }
    if (startedAt >= 0) reports.backendCall(operation, startedAt, true);
    if (read !== undefined) read.item = item;
    let stamps: Stamps | undefined;
    let inner = item;
    // Read in a namespace, a value is current only under the namespace's own version.
    if (scope !== undefined && item !== undefined && !isStamped(item)) inner = undefined;
    if (item !== undefined && isStamped(item)) {
      try {
        ({ inner, stamps } = openStampedEnvelope(key, item));
      } catch (error) {
        return reports.undecodable(key, error as LarderError);
      }
      let current: boolean;
      try {
        current = await versions.check(stamps, Math.min(readAt, scope?.since ?? readAt));
      } catch (error) {
        return reports.failed(key, error);
      }
      // A value of a namespace cleared since it was written: gone, as a deleted one.
      if (!current || (scope !== undefined && !stamps.some((stamp) => stamp.key === scope.versionKey))) inner = undefined;
    }
    const outcome = this.decode<T>(key, inner);
    if (ticket === undefined || outcome.status !== 'hit') return outcome;
    const held = this.#parts.near!.fill(full, ticket, readAt, item!, outcome.value, valueEndsAt(key, inner!), stamps);
    if (read !== undefined) read.held = held;
    return held === undefined ? outcome : { status: 'hit', value: this.#parts.near!.valueOf(held) as T };
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

  /** The near entry of `full` that may be served now; one held under a namespace version no longer current is dropped. */
  #nearLookup(near: NearCache, full: string): NearEntry | undefined {
    const now = coarseNow();
    const entry = near.lookup(full, now);
    if (entry === undefined || entry.stamps === undefined) return entry;
    const holds = this.#parts.versions.holds(entry.stamps, now);
    if (holds === false) near.forget(full);
    return holds === true ? entry : undefined;
  }

  #nearHit<T>(key: string, entry: NearEntry, near: NearCache): ReadOutcome<T> {
    const { reports } = this.#parts;
    reports.hit(key);
    reports.nearHit(key);
    return { status: 'hit', value: near.valueOf(entry) as T };
  }
}

/** When a stored value stops being fresh: a grace envelope's logical expiry, else never (memcached's own ttl is not known to a reader). */
function valueEndsAt(key: string, item: StoredItem): number {
  return isGraceEnvelope(item) ? openGraceEnvelope(key, item).expiresAt : Infinity;
}
