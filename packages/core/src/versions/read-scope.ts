import type { Stamps } from '../envelopes/stamp-envelope.js';
import type { CounterTicket } from './version-counters.js';

/**
 * How one read (or read-compute-write call) of a namespace, or with tags, reads and writes
 * (internal to the Cache and its namespaces).
 */
export interface ReadScope {
  /** The version counter keys (a namespace's, the call's tags'): read together with the entry unless trusted, and carried by every value served. */
  readonly keys: readonly string[];
  /** Versions learnt at or after this ticket are current for this call (it read them itself); Infinity for a plain read. */
  readonly since: CounterTicket;
  /** The versions a value computed now is stamped with (taken before the factory runs). */
  readonly stamps: Stamps | undefined;
}

/** True when `stamps` carry a stamp of every key `scope` requires (a value without is not the scope's). */
export function carriesScope(stamps: Stamps | undefined, scope: ReadScope | undefined): boolean {
  if (scope === undefined) return true;
  if (stamps === undefined) return false;
  return scope.keys.every((key) => stamps.some((stamp) => stamp.key === key));
}
