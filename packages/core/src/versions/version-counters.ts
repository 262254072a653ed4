import { randomInt } from 'node:crypto';
import { parseCounter } from '../backends/counter.js';
import { writeSoftMark } from './soft-marks.js';
import { Flags } from '../values/flags.js';
import type { Backend, StoredItem } from '../types/backend.js';
import type { Stamps } from '../envelopes/stamp-envelope.js';

interface Known {
  /** The counter's value as decimal text; undefined when the counter was absent or not a counter. */
  readonly version: string | undefined;
  /** Unix ms when the read that found it was sent. */
  readonly readAt: number;
  /** Orders what was learnt (see `ticket`): a read sent before a bump settled never replaces the bump's version. */
  readonly ticket: CounterTicket;
}

/**
 * A point in this process's sequence of counter reads and bumps (see `VersionCounters.ticket`):
 * what was learnt with a ticket at or after it reflects the counter at or after that point. A
 * sequence, not the clock: two events within one millisecond are still ordered.
 */
export type CounterTicket = number;

// A counter starts at a random value, so a counter that was evicted and made again never comes
// back to a version some stored value carries. memcached counters are 64-bit; this stays below 2^48.
const START_MAX = 2 ** 48;
// Versions remembered at most (namespaces are few; past this the oldest are forgotten).
const MAX_KNOWN = 10_000;

/**
 * The version counters of namespaces and tags, read from the backend and trusted for `checkIntervalMs`
 * after the read that found them was sent (0: only by reads sent after it, see `since`). A counter is
 * a decimal value at its own key, made with `add` at a random start and bumped with `incr`, so
 * any process bumps it and every process sees the bump on its next check; no message bus.
 */
export class VersionCounters {
  readonly #backend: Backend;
  readonly #checkIntervalMs: number;
  readonly #known = new Map<string, Known>();
  // One sequence orders reads (ticket taken when sent) and bumps (taken when settled): within one
  // millisecond too, a read that may have been answered before a bump never undoes what it learnt.
  #sequence = 0;

  constructor(backend: Backend, checkIntervalMs: number) {
    this.#backend = backend;
    this.#checkIntervalMs = checkIntervalMs;
  }

  /** How long a version read is trusted, in ms (0: only by reads sent after it). */
  get checkIntervalMs(): number {
    return this.#checkIntervalMs;
  }

  /** The version of `key` if it is trusted now (read within the check interval, or learnt at or after the ticket `since`). */
  trusted(key: string, now: number, since: CounterTicket = Infinity): Known | undefined {
    const known = this.#known.get(key);
    if (known === undefined) return undefined;
    return known.ticket >= since || now - known.readAt < this.#checkIntervalMs ? known : undefined;
  }

  /** True when every stamp holds its counter's trusted version; undefined when some counter is not trusted now. */
  holds(stamps: Stamps, now: number, since: CounterTicket = Infinity): boolean | undefined {
    let holds = true;
    for (const stamp of stamps) {
      const known = this.trusted(stamp.key, now, since);
      if (known === undefined) return undefined;
      if (known.version !== stamp.version) holds = false;
    }
    return holds;
  }

  /** A new ticket: take one right before sending a read of counters, and give it to `record` with what the read found. */
  ticket(): CounterTicket {
    return ++this.#sequence;
  }

  /** Records what a read sent at `readAt` (holding `ticket`) found at a counter's key. */
  record(key: string, item: StoredItem | undefined, readAt: number, ticket: CounterTicket): void {
    const parsed = item === undefined ? undefined : parseCounter(item.value);
    this.#remember(key, parsed === undefined ? undefined : parsed.toString(), readAt, ticket);
  }

  /** True when every stamp holds its counter's version, reading the counters not trusted since `since` (one getMany). Rejects on backend failure. */
  async check(stamps: Stamps, since: CounterTicket): Promise<boolean> {
    await this.refresh(stamps, since);
    return this.holds(stamps, Date.now(), since) === true;
  }

  /** Reads the counters of `stamps` not trusted since `since` (one getMany, each key once), so `holds` can answer. Rejects on backend failure. */
  async refresh(stamps: Stamps, since: CounterTicket): Promise<void> {
    const now = Date.now();
    const unknown = new Set<string>();
    for (const stamp of stamps) if (this.trusted(stamp.key, now, since) === undefined) unknown.add(stamp.key);
    if (unknown.size > 0) await this.#read([...unknown]);
  }

  /** The current versions of `keys` for stamping a value about to be computed: read unless trusted, made when absent. Rejects on backend failure. */
  async stampsFor(keys: readonly string[]): Promise<Stamps> {
    const now = Date.now();
    const unknown = keys.filter((key) => this.trusted(key, now)?.version === undefined);
    if (unknown.length > 0) await this.#read(unknown);
    return Promise.all(keys.map(async (key) => ({ key, version: this.#known.get(key)?.version ?? (await this.#start(key)) })));
  }

  /** Bumps the counter at `key` (made afresh when absent or not a counter), so every value stamped with its old version is stale. Rejects on backend failure. */
  async bump(key: string): Promise<void> {
    const readAt = Date.now();
    const next = await this.#backend.incr(key, 1n).catch((error: unknown) => {
      // A value that is not a counter (someone else's) is replaced: its stamps can be nobody's.
      if ((error as { code?: string }).code === 'E_NOT_NUMERIC') return undefined;
      throw error;
    });
    if (next !== undefined) {
      this.#remember(key, next.toString(), readAt, this.ticket());
      return;
    }
    const version = randomStart();
    await this.#backend.set(key, counterItem(version), 0);
    this.#remember(key, version, readAt, this.ticket());
  }

  /**
   * Bumps the counters at `keys` (in parallel), so every value stamped with one of their old
   * versions is stale; an absent counter (or a value that is not one) is left as it is, since no
   * current value can carry it (a write that needs it makes it afresh). A hard bump leaves the
   * counter even (`incr` 2, then 1 more when the answer is odd); a soft one (`softGraceSeconds`)
   * leaves it odd (`incr` 1, then 1 more when even) and writes its marker (see soft-marks.ts), so
   * a reader looks for a marker only behind an odd counter. Parity is a hint: the marker decides.
   * Rejects with the first backend failure once every bump has settled.
   */
  async invalidate(keys: readonly string[], softGraceSeconds?: number): Promise<void> {
    const readAt = Date.now();
    const soft = softGraceSeconds !== undefined;
    const settled = await Promise.allSettled(
      keys.map(async (key) => {
        const first = await this.#incr(key, soft ? 1n : 2n);
        let next = first;
        if (first !== undefined && first % 2n === (soft ? 0n : 1n)) next = await this.#incr(key, 1n);
        this.#remember(key, next?.toString(), readAt, this.ticket());
        if (softGraceSeconds === undefined || first === undefined || next === undefined) return;
        // What this bump softened: from the version before its first incr when nothing came between its incrs, else only the one before its last.
        const before = next - first <= 1n ? first - 1n : next - 1n;
        await writeSoftMark(this.#backend, key, before, next, softGraceSeconds);
      }),
    );
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  // incr; undefined when the counter is absent or not a counter (someone else's value).
  #incr(key: string, delta: bigint): Promise<bigint | undefined> {
    return this.#backend.incr(key, delta).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'E_NOT_NUMERIC') return undefined;
      throw error;
    });
  }

  async #read(keys: readonly string[]): Promise<void> {
    const readAt = Date.now();
    const ticket = this.ticket();
    const found = await this.#backend.getMany(keys);
    for (const key of keys) this.record(key, found.get(key), readAt, ticket);
  }

  // Makes an absent counter; when another process made it first, reads theirs.
  async #start(key: string): Promise<string> {
    const readAt = Date.now();
    const version = randomStart();
    if (await this.#backend.add(key, counterItem(version), 0)) {
      this.#remember(key, version, readAt, this.ticket());
      return version;
    }
    await this.#read([key]);
    const theirs = this.#known.get(key)?.version;
    if (theirs !== undefined) return theirs;
    // Present but not a counter: replaced, as bump does.
    await this.bump(key);
    return this.#known.get(key)!.version!;
  }

  #remember(key: string, version: string | undefined, readAt: number, ticket: CounterTicket): void {
    const known = this.#known.get(key);
    // An older read answering late must not replace what a newer one (or a bump) found.
    if (known !== undefined && known.ticket > ticket) return;
    this.#known.delete(key);
    if (this.#known.size >= MAX_KNOWN) this.#known.delete(this.#known.keys().next().value!);
    this.#known.set(key, { version, readAt, ticket });
  }
}

// Even, as a hard bump leaves a counter: an odd counter hints at a soft bump (see invalidate).
function randomStart(): string {
  return String(randomInt(1, START_MAX / 2) * 2);
}

function counterItem(version: string): StoredItem {
  return { value: Buffer.from(version, 'latin1'), flags: Flags.BYTES };
}
