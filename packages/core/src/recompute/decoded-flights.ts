import type { DecodeMemo } from '../values/decode-memo.js';
import type { DecodedEntry, ReadPath } from '../store/read-path.js';
import type { KeySpace } from '../store/key-space.js';
import type { Entry, Flights, Opened } from './flight.js';
import type { RecomputePolicy } from './recompute-options.js';

/** How a flight of decoded values is opened: who may share it, its policy, how its entry is read and refreshed. */
export interface FlightSpec<T> {
  /** Callers that may share a flight: only those of one audience do (default: all). Holds no NUL. */
  readonly audience?: string;
  /** The grace, lock and timeouts (see RecomputeOptions). */
  readonly policy: RecomputePolicy;
  /** What is stored now, as the caller reads it. */
  read(): Promise<Entry<T>>;
  /** What a caller waiting for another process's lock polls (default: `read`). */
  readonly poll?: () => Promise<Entry<T>>;
  /** Computes and stores a fresh value for a stale one, in the background, within `leaseMs` (its lock's lease); rejects when it could not. */
  readonly refresh?: (leaseMs: number) => Promise<T>;
}

/**
 * getOrSet in two phases over values decoded through a DecodeMemo, for a computation that does not
 * fit in a factory function (a web handler that runs between two hooks): `peek` and `read` find a
 * stored value; `open` opens the key's flight (fresh, stale with a refresh started, wait, or lead
 * with settle / abandon: see Flights), on the same engine, single-flight and lock as getOrSet.
 * Made by `Cache.flights(memo)`.
 */
export class DecodedFlights<R> {
  readonly #keys: KeySpace;
  readonly #reads: ReadPath;
  readonly #flights: Flights;
  readonly #memo: DecodeMemo<R>;

  constructor(keys: KeySpace, reads: ReadPath, flights: Flights, memo: DecodeMemo<R>) {
    this.#keys = keys;
    this.#reads = reads;
    this.#flights = flights;
    this.#memo = memo;
  }

  /**
   * The decoded fresh value of `key` when this process can answer at once, without a promise: a
   * near-cache hit, or a hit of an in-process backend (memory) on an item the memo has decoded.
   * Counted as a hit. Otherwise undefined and nothing is counted: `read` then. A tagged (or
   * namespaced) value is answered only while its counters are known current.
   */
  peek(key: string): R | undefined {
    return this.#reads.peekDecoded(key, this.#keys.key(key), this.#memo);
  }

  /** The decoded value of `key` (as `Cache.readDecoded`), a stale one (past its ttl, within grace) marked so; undefined when absent or unreadable. */
  read(key: string): Promise<DecodedEntry<R> | undefined> {
    return this.#reads.decodedEntry(key, this.#keys.key(key), this.#memo, false);
  }

  /** Opens the flight of `key` for `spec`'s audience; `first`: what the caller read at `key` already. */
  open<T>(key: string, spec: FlightSpec<T>, first?: Entry<T>): Opened<T> | Promise<Opened<T>> {
    const full = this.#keys.key(key);
    const name = spec.audience === undefined ? full : `${spec.audience}\u0000${full}`;
    return this.#flights.open(name, { key, full, policy: spec.policy, read: spec.read, poll: spec.poll, refresh: spec.refresh }, first);
  }

  /** Waits for the background refreshes under way (before the cache closes). */
  drain(): Promise<void> {
    return this.#flights.drain();
  }
}
