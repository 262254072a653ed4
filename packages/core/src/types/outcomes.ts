import type { LarderError } from '../errors.js';
import type { TagVersions } from '../versions/tags.js';

/** The backend failed (down, slow, refusing): the typed error, counted and emitted once, never logged by the Cache. */
export interface FailedOutcome {
  readonly status: 'failed';
  /** The typed error (a LarderError subclass, E_CONNECTION, E_TIMEOUT, E_NODE_DEAD...). */
  readonly error: Error;
}

/** A read found a value. */
export interface HitOutcome<T> {
  readonly status: 'hit';
  /** The decoded value. */
  readonly value: T;
  /**
   * The tag versions the value was stamped with (checked current), when it was written with tags:
   * written back with `{ tags: versions }`, it stays a miss after an `invalidateTags` made since this read.
   */
  readonly versions?: TagVersions;
}

/**
 * A read found nothing usable: the key is absent or expired, or (with `undecodable` set) it
 * holds a value Larder cannot decode (a Python pickle, a malformed chunked value), which is
 * also counted in `stats().errors` and emitted as an E_DESERIALIZE `error` event.
 */
export interface MissOutcome<T = unknown> {
  readonly status: 'miss';
  /** The decode error, when a value was there but cannot be read back; absent for a plain miss. */
  readonly undecodable?: LarderError;
  /** A value written with grace, past its ttl and within grace: what a read-compute-write path may serve stale. */
  readonly stale?: StaleValue<T>;
}

/** A value past its ttl, kept for its grace. */
export interface StaleValue<T> {
  /** The decoded value. */
  readonly value: T;
  /** Unix time in ms when its ttl ended. */
  readonly expiredAt: number;
}

/** What `Cache.read` found: `hit` with the value, `miss` (perhaps with a stale value), or `failed` with the error. */
export type ReadOutcome<T> = HitOutcome<T> | MissOutcome<T> | FailedOutcome;

/** What `Cache.write` did: `stored`, `not-stored` (the backend declined it), or `failed`. */
export type WriteOutcome = { readonly status: 'stored' } | { readonly status: 'not-stored' } | FailedOutcome;

/**
 * What `Cache.writeIf` did: `stored`; `present` (asked to store only where nothing is, and a value
 * is there); `absent` (asked to store only over a value, and none is there); or `failed`.
 */
export type ConditionalWriteOutcome = { readonly status: 'stored' } | { readonly status: 'present' } | { readonly status: 'absent' } | FailedOutcome;

/** What `Cache.remove` did: `removed`, `absent` (nothing to delete), or `failed`. */
export type RemoveOutcome = { readonly status: 'removed' } | { readonly status: 'absent' } | FailedOutcome;

/** What `Cache.extend` did: `extended` (new TTL set), `absent` (nothing to extend), or `failed`. */
export type ExtendOutcome = { readonly status: 'extended' } | { readonly status: 'absent' } | FailedOutcome;
