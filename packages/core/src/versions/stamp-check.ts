import { parseCounter } from '../backends/counter.js';
import type { LarderError } from '../errors.js';
import type { StoredItem, SyncReads } from '../types/backend.js';
import type { ReadOutcome } from '../types/outcomes.js';
import { carriesScope, type ReadScope } from './read-scope.js';
import { isStamped, openStampedEnvelope, type Stamps } from '../envelopes/stamp-envelope.js';
import { StampHints } from './stamp-hints.js';
import type { SoftMarkReads } from './soft-mark-reads.js';
import { parseSoftMark, softCandidates, softened, softMarkKey } from './soft-marks.js';
import type { CounterTicket, VersionCounters } from './version-counters.js';

/**
 * A stored item with its stamps checked: `inner` is the value's own item, undefined when none is
 * current. `stale`: a tag it carries was invalidated softly (see soft-marks.ts) and its grace
 * runs: plain reads miss it, getOrSet and the flights serve it while one refresh runs.
 */
export interface Opened {
  readonly inner: StoredItem | undefined;
  readonly stamps: Stamps | undefined;
  readonly stale?: boolean;
}

/** No current value (absent, or not the scope's). */
const NOTHING: Opened = Object.freeze({ inner: undefined, stamps: undefined });

/** Where a check reports an envelope it cannot read, or a backend failure reading counters. */
export interface StampReports {
  undecodable(key: string, error: LarderError): ReadOutcome<never>;
  failed(key: string, error: unknown): ReadOutcome<never>;
}

/**
 * How the read path checks a stored item's stamps against their counters. Over an in-process
 * backend (memory) the counters are read synchronously beside the value. Over memcached a read
 * fetches the counters it expects in the same getMany as the value (`countersToFetch`: a
 * namespace's or a getOrSet's scope, and the stamps this process last saw or wrote at the key,
 * kept as StampHints), and `open` reads any other its stamps name in a second round trip.
 */
export class StampCheck {
  readonly #versions: VersionCounters;
  readonly #sync: SyncReads | undefined;
  readonly #reports: StampReports;
  readonly #marks: SoftMarkReads;
  readonly #hints = new StampHints();

  constructor(versions: VersionCounters, sync: SyncReads | undefined, reports: StampReports, marks: SoftMarkReads) {
    this.#versions = versions;
    this.#sync = sync;
    this.#reports = reports;
    this.#marks = marks;
  }

  /** The value at `full` was written or found with `stamps` (none: unstamped): the next read fetches their counters with it. */
  learn(full: string, stamps: Stamps | undefined): void {
    if (this.#sync === undefined) this.#hints.learn(full, stamps);
  }

  /** `item` as a read holding `ticket` fetched it, with its stamps checked (reading the counters not fetched with it); the hint for `full` corrected. */
  async open(key: string, full: string, item: StoredItem | undefined, ticket: CounterTicket, scope: ReadScope | undefined): Promise<Opened | ReadOutcome<never>> {
    if (item === undefined || !isStamped(item)) {
      this.#hints.forget(full);
      return item === undefined || scope !== undefined ? NOTHING : { inner: item, stamps: undefined };
    }
    let opened: Opened;
    try {
      opened = openStampedEnvelope(key, item);
    } catch (error) {
      return this.#reports.undecodable(key, error as LarderError);
    }
    const stamps = opened.stamps!;
    this.learn(full, stamps);
    let current: boolean;
    try {
      current = await this.#versions.check(stamps, sinceOf(scope, ticket));
    } catch (error) {
      return this.#reports.failed(key, error);
    }
    if (!carriesScope(stamps, scope)) return { inner: undefined, stamps };
    if (current) return opened;
    // A value of a namespace cleared or a tag invalidated since it was written: gone, as a deleted
    // one, unless every stamp behind was softened (then stale). Any doubt is a miss.
    const since = sinceOf(scope, ticket);
    const candidates = softCandidates(stamps, (counter) => this.#versions.trusted(counter, Date.now(), since)?.version);
    if (candidates === undefined || candidates.length === 0) return { inner: undefined, stamps };
    let marks;
    try {
      marks = await this.#marks.read(candidates.map(({ stamp }) => stamp.key));
    } catch {
      return { inner: undefined, stamps };
    }
    return softened(candidates, (counter) => marks.get(counter)) ? { inner: opened.inner, stamps, stale: true } : { inner: undefined, stamps };
  }

  /** `item` read from an in-process backend with its stamps checked against the counters beside it (read synchronously). */
  openSync(key: string, item: StoredItem | undefined, scope: ReadScope | undefined): Opened | ReadOutcome<never> {
    if (item === undefined || !isStamped(item)) return item === undefined || scope !== undefined ? NOTHING : { inner: item, stamps: undefined };
    let opened: Opened;
    try {
      opened = openStampedEnvelope(key, item);
    } catch (error) {
      return this.#reports.undecodable(key, error as LarderError);
    }
    let current: boolean;
    try {
      current = this.holdsSync(opened.stamps!);
      if (!carriesScope(opened.stamps, scope)) return { inner: undefined, stamps: opened.stamps };
      if (!current && this.#softenedSync(opened.stamps!)) return { inner: opened.inner, stamps: opened.stamps, stale: true };
    } catch (error) {
      return this.#reports.failed(key, error);
    }
    return current ? opened : { inner: undefined, stamps: opened.stamps };
  }

  // True when every stamp behind its counter was softened (read from the in-process backend).
  #softenedSync(stamps: Stamps): boolean {
    const sync = this.#sync!;
    const candidates = softCandidates(stamps, (counter) => {
      const item = sync.getSync(counter);
      return item === undefined ? undefined : versionOf(item);
    });
    if (candidates === undefined || candidates.length === 0) return false;
    return softened(candidates, (counter) => parseSoftMark(sync.getSync(softMarkKey(counter))));
  }

  /** True when every stamp holds the version its counter has now, read from the in-process backend (throws its errors). */
  holdsSync(stamps: Stamps): boolean {
    const sync = this.#sync!;
    for (const stamp of stamps) {
      const counter = sync.getSync(stamp.key);
      if (counter === undefined || versionOf(counter) !== stamp.version) return false;
    }
    return true;
  }

  /** As `holdsSync`, false when the backend throws. */
  holdsQuietly(stamps: Stamps): boolean {
    try {
      return this.holdsSync(stamps);
    } catch {
      return false;
    }
  }

  /** The counters to read with `fullKeys`: the scope's and those hinted for each key, not trusted now, each once, none of the keys themselves. */
  countersToFetch(fullKeys: readonly string[], scope: ReadScope | undefined, readAt: number, since: CounterTicket): string[] {
    const versions = this.#versions;
    let counters: Set<string> | undefined;
    let own: Set<string> | undefined;
    const consider = (counter: string) => {
      if (versions.trusted(counter, readAt, since) !== undefined || counters?.has(counter) === true) return;
      // A counter's key is never read as a value too (a key of Larder's own: nobody writes one).
      if (fullKeys.length === 1 ? fullKeys[0] === counter : (own ??= new Set(fullKeys)).has(counter)) return;
      (counters ??= new Set()).add(counter);
    };
    if (scope !== undefined) for (const counter of scope.keys) consider(counter);
    for (const full of fullKeys) {
      const hinted = this.#hints.get(full);
      if (hinted !== undefined) for (const counter of hinted) consider(counter);
    }
    return counters === undefined ? [] : [...counters];
  }
}

// What an in-process backend's counter item holds, parsed once per item (it hands back the item it
// stores until the counter changes), so a stamped hit on the memory backend parses nothing.
const counterVersions = new WeakMap<StoredItem, string | null>();

function versionOf(counter: StoredItem): string | undefined {
  let version = counterVersions.get(counter);
  if (version === undefined) {
    version = parseCounter(counter.value)?.toString() ?? null;
    counterVersions.set(counter, version);
  }
  return version ?? undefined;
}

/** Counters learnt at or after this ticket are current for a read holding `ticket` in `scope` (a getOrSet's were read before its factory ran). */
export function sinceOf(scope: ReadScope | undefined, ticket: CounterTicket): CounterTicket {
  return Math.min(ticket, scope?.since ?? ticket);
}
