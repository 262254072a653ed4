import { randomInt } from 'node:crypto';
import { parseCounter } from '../backends/counter.js';
import { Flags } from '../flags.js';
import type { Backend, StoredItem } from '../types/backend.js';
import type { Stamps } from './stamp-envelope.js';

interface Known {
  /** The counter's value as decimal text; undefined when the counter was absent or not a counter. */
  readonly version: string | undefined;
  /** Unix ms when the read that found it was sent. */
  readonly readAt: number;
}

// A counter starts at a random value, so a counter that was evicted and made again never comes
// back to a version some stored value carries. memcached counters are 64-bit; this stays below 2^48.
const START_MAX = 2 ** 48;
// Versions remembered at most (namespaces are few; past this the oldest are forgotten).
const MAX_KNOWN = 10_000;

/**
 * The version counters of namespaces, read from the backend and trusted for `checkIntervalMs`
 * after the read that found them was sent (0: only by the read that fetched them). A counter is
 * a decimal value at its own key, made with `add` at a random start and bumped with `incr`, so
 * any process bumps it and every process sees the bump on its next check; no message bus.
 */
export class VersionCounters {
  readonly #backend: Backend;
  readonly #checkIntervalMs: number;
  readonly #known = new Map<string, Known>();

  constructor(backend: Backend, checkIntervalMs: number) {
    this.#backend = backend;
    this.#checkIntervalMs = checkIntervalMs;
  }

  /** The version of `key` if it is trusted now (read within the check interval, or sent at or after `since`). */
  trusted(key: string, now: number, since = Infinity): Known | undefined {
    const known = this.#known.get(key);
    if (known === undefined) return undefined;
    return known.readAt >= since || now - known.readAt < this.#checkIntervalMs ? known : undefined;
  }

  /** True when every stamp holds its counter's trusted version; undefined when some counter is not trusted now. */
  holds(stamps: Stamps, now: number, since = Infinity): boolean | undefined {
    let holds = true;
    for (const stamp of stamps) {
      const known = this.trusted(stamp.key, now, since);
      if (known === undefined) return undefined;
      if (known.version !== stamp.version) holds = false;
    }
    return holds;
  }

  /** Records what a read sent at `readAt` found at a counter's key. */
  record(key: string, item: StoredItem | undefined, readAt: number): void {
    const parsed = item === undefined ? undefined : parseCounter(item.value);
    this.#remember(key, parsed === undefined ? undefined : parsed.toString(), readAt);
  }

  /** True when every stamp holds its counter's version, reading the counters not trusted since `since` (one getMany). Rejects on backend failure. */
  async check(stamps: Stamps, since: number): Promise<boolean> {
    const now = Date.now();
    const unknown = stamps.filter((stamp) => this.trusted(stamp.key, now, since) === undefined).map((stamp) => stamp.key);
    if (unknown.length > 0) await this.#read(unknown);
    return this.holds(stamps, Date.now(), since) === true;
  }

  /** The current versions of `keys` for stamping a value about to be computed: read unless trusted, made when absent. Rejects on backend failure. */
  async stampsFor(keys: readonly string[]): Promise<Stamps> {
    const now = Date.now();
    const unknown = keys.filter((key) => this.trusted(key, now)?.version === undefined);
    if (unknown.length > 0) await this.#read(unknown);
    const stamps = [];
    for (const key of keys) {
      const version = this.#known.get(key)?.version ?? (await this.#start(key));
      stamps.push({ key, version });
    }
    return stamps;
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
      this.#remember(key, next.toString(), readAt);
      return;
    }
    const version = randomStart();
    await this.#backend.set(key, counterItem(version), 0);
    this.#remember(key, version, readAt);
  }

  async #read(keys: readonly string[]): Promise<void> {
    const readAt = Date.now();
    const found = await this.#backend.getMany(keys);
    for (const key of keys) this.record(key, found.get(key), readAt);
  }

  // Makes an absent counter; when another process made it first, reads theirs.
  async #start(key: string): Promise<string> {
    const readAt = Date.now();
    const version = randomStart();
    if (await this.#backend.add(key, counterItem(version), 0)) {
      this.#remember(key, version, readAt);
      return version;
    }
    await this.#read([key]);
    const theirs = this.#known.get(key)?.version;
    if (theirs !== undefined) return theirs;
    // Present but not a counter: replaced, as bump does.
    await this.bump(key);
    return this.#known.get(key)!.version!;
  }

  #remember(key: string, version: string | undefined, readAt: number): void {
    const known = this.#known.get(key);
    // An older read answering late must not replace what a newer one found.
    if (known !== undefined && known.readAt > readAt) return;
    this.#known.delete(key);
    if (this.#known.size >= MAX_KNOWN) this.#known.delete(this.#known.keys().next().value!);
    this.#known.set(key, { version, readAt });
  }
}

function randomStart(): string {
  return String(randomInt(1, START_MAX));
}

function counterItem(version: string): StoredItem {
  return { value: Buffer.from(version, 'latin1'), flags: Flags.BYTES };
}
