import type { StoredItem } from '../types/backend.js';
import type { Stamps } from '../envelopes/stamp-envelope.js';
import { ownedItem } from '../values/owned-item.js';
import { handOut, protect, protectableSize, type Protected } from './frozen-value.js';
import type { NearCacheSettings } from './near-options.js';

/** A value held near: as read from the backend, decoded and protected, until `expiresAt`. */
export interface NearEntry {
  /** The stored item it was decoded from (a decode memo recognises it by identity). */
  readonly item: StoredItem;
  readonly value: Protected;
  /** Unix ms after which the entry is not served (when its read was sent + ttl, or the value's own end of ttl if sooner). */
  readonly expiresAt: number;
  /** Unix ms from which a read of the entry starts its refill (three quarters into the near ttl), so a hot entry is replaced before it expires. */
  readonly refreshAt: number;
  /** The ticket of the read that found it: a read sent before it never replaces it. */
  readonly ticket: ReadTicket;
  /** The namespace/tag versions the value was written under; it is served only while they are current. */
  readonly stamps: Stamps | undefined;
  readonly bytes: number;
}

/** What a fill records: a ticket taken before the backend read, so a write that overtook the read wins. */
export type ReadTicket = number;

// Map entry, key and bookkeeping: a rough upper bound.
const ENTRY_OVERHEAD = 256;
// Keys written since the oldest read in flight; past this many the record restarts (see #floor).
const MAX_WRITTEN = 10_000;

/**
 * Hot values of one Cache kept decoded in process memory, each for at most the near ttl after it
 * was read from the backend. Bounded in entries and in estimated bytes, oldest fill first out; a
 * value over a quarter of maxBytes is never held. A write or delete of a key by this process drops
 * its entry at once, and a backend read that a write overtook does not fill it (read tickets).
 */
export class NearCache {
  readonly #settings: NearCacheSettings;
  readonly #entries = new Map<string, NearEntry>();
  readonly #maxEntryBytes: number;
  #bytes = 0;
  // One sequence orders reads (their tickets) and writes: #written holds the number of each key's
  // latest write. A fill with a ticket older than its key's latest write (or older than #floor,
  // when the record restarted) or than the ticket of the entry it would replace is refused.
  #clock = 0;
  #floor = 0;
  readonly #written = new Map<string, number>();
  // The entry of each key whose refill is under way, or failed: one refill at a time per key, and
  // none again for an entry whose refill failed (it is served to its end, as without refills).
  // Only entries held here: dropping an entry drops its record.
  readonly #refilled = new Map<string, NearEntry>();

  constructor(settings: NearCacheSettings) {
    this.#settings = settings;
    this.#maxEntryBytes = Math.floor(settings.maxBytes / 4);
  }

  /** The settings in force. */
  get settings(): NearCacheSettings {
    return this.#settings;
  }

  /** Entries held now. */
  get items(): number {
    return this.#entries.size;
  }

  /** Estimated bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The live entry of `fullKey`, or undefined (an expired one is dropped). */
  lookup(fullKey: string, now: number): NearEntry | undefined {
    const entry = this.#entries.get(fullKey);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > now) return entry;
    this.#drop(fullKey, entry);
    return undefined;
  }

  /** What a reader of `entry` gets (the frozen value, or a copy of a Buffer). */
  valueOf(entry: NearEntry): unknown {
    return handOut(entry.value);
  }

  /**
   * True when `entry`, served at `now`, is due for its refill and none is under way for `fullKey`:
   * the caller then refills it (one backend read while every other reader is still served the
   * entry), and calls `refilled` when the read has settled. So a hot key is read from the backend
   * once per key per process as its entry ages, never by every reader at once when it expires; an
   * entry whose refill failed (memcached down) is not refilled again.
   */
  claimRefill(fullKey: string, entry: NearEntry, now: number): boolean {
    if (entry.refreshAt > now || this.#refilled.has(fullKey)) return false;
    this.#refilled.set(fullKey, entry);
    return true;
  }

  /** The refill `claimRefill` granted for `entry` of `fullKey` has settled; `failed`: the backend read failed. */
  refilled(fullKey: string, entry: NearEntry, failed: boolean): void {
    if (!failed && this.#refilled.get(fullKey) === entry) this.#refilled.delete(fullKey);
  }

  /** Take before reading the backend; give to `fill` with what the read found. */
  ticket(): ReadTicket {
    return ++this.#clock;
  }

  /**
   * Holds `value` (decoded from `item`, read by a request sent at `readAt`) for `fullKey`, unless
   * this process wrote the key after `ticket` was taken, a newer read filled it already, the value
   * cannot be protected, or it is too large. The entry lives until `readAt` + ttl (or the value's
   * own end), so another process's write is seen within ttl however slow the read was. Returns the
   * entry held, or undefined.
   */
  fill(fullKey: string, ticket: ReadTicket, readAt: number, item: StoredItem, value: unknown, valueEndsAt: number, stamps: Stamps | undefined): NearEntry | undefined {
    if (ticket < this.#floor || (this.#written.get(fullKey) ?? -1) > ticket) return undefined;
    const expiresAt = Math.min(readAt + this.#settings.ttlMs, valueEndsAt);
    if (expiresAt <= Date.now()) return undefined;
    const previous = this.#entries.get(fullKey);
    if (previous !== undefined && previous.ticket > ticket) return undefined;
    const valueBytes = protectableSize(value);
    if (valueBytes < 0) return undefined;
    const bytes = valueBytes + item.value.length + fullKey.length * 2 + ENTRY_OVERHEAD;
    if (bytes > this.#maxEntryBytes) return undefined;
    if (previous !== undefined) this.#drop(fullKey, previous);
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size < this.#settings.maxItems && this.#bytes + bytes <= this.#settings.maxBytes) break;
      this.#drop(oldest, entry);
    }
    const refreshAt = readAt + Math.floor((this.#settings.ttlMs * 3) / 4);
    const entry: NearEntry = { item: ownedItem(item), value: protect(value, valueBytes), expiresAt, refreshAt, ticket, stamps, bytes };
    this.#entries.set(fullKey, entry);
    this.#bytes += bytes;
    return entry;
  }

  /** A write or delete of `fullKey` by this process (call when it starts and when it settles): drops its entry. */
  wrote(fullKey: string): void {
    this.#clock++;
    if (this.#written.size >= MAX_WRITTEN) {
      this.#written.clear();
      this.#floor = this.#clock;
    }
    this.#written.set(fullKey, this.#clock);
    const entry = this.#entries.get(fullKey);
    if (entry !== undefined) this.#drop(fullKey, entry);
  }

  /** Drops the entry of `fullKey`, if any (it was found stale against a namespace version). */
  forget(fullKey: string): void {
    const entry = this.#entries.get(fullKey);
    if (entry !== undefined) this.#drop(fullKey, entry);
  }

  /** Drops every entry stamped with one of the version counters `counterKeys` (this process bumped them). */
  forgetStamped(counterKeys: ReadonlySet<string>): void {
    for (const [fullKey, entry] of this.#entries) {
      if (entry.stamps?.some((stamp) => counterKeys.has(stamp.key)) === true) this.#drop(fullKey, entry);
    }
  }

  /** Drops every entry (and refuses fills of reads already in flight). */
  clear(): void {
    this.#entries.clear();
    this.#refilled.clear();
    this.#bytes = 0;
    this.#clock++;
    this.#written.clear();
    this.#floor = this.#clock;
  }

  #drop(fullKey: string, entry: NearEntry): void {
    this.#entries.delete(fullKey);
    this.#bytes -= entry.bytes;
    if (this.#refilled.get(fullKey) === entry) this.#refilled.delete(fullKey);
  }
}
