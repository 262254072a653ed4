import { createHash, randomBytes } from 'node:crypto';
import { isAvailabilityError, LarderError } from '../errors.js';
import { HASHED_MARK } from '../keys.js';
import type { Backend, StoredItem } from '../types/backend.js';

/** What an attempt to take a key's lock found. */
export type LockAttempt =
  /** This process holds the lock until it calls `release` (or the lock's TTL ends). */
  | HeldLock
  /** Someone else holds it; `holder` is their token, so a waiter can tell one holder from the next. */
  | { readonly status: 'held'; readonly holder: string }
  /** The backend failed: no lock can be had, so the caller goes on without one. */
  | { readonly status: 'unavailable'; readonly error: Error };

/** A lock this process holds until it calls `release` (or the lock's TTL ends); `renew` restarts its TTL while it is still this holder's. */
export interface HeldLock {
  readonly status: 'acquired';
  readonly release: () => Promise<void>;
  readonly renew: () => Promise<void>;
}

/** What a released lock holds until it expires: free for anyone to take with cas. */
const RELEASED = 'released';
const RELEASED_TTL_SECONDS = 1;

/**
 * memcached counts TTLs in whole seconds on a clock that ticks once a second: a lock taken for
 * ceil(timeout) + 1 s lives at least its timeout, and is surely gone this long after it.
 */
export const LOCK_CLOCK_MS = 1000;

/**
 * The backend key of the lock of `fullKey`: `larder-lock:sha256:<sha256 of the key>:lock`. It
 * holds `:sha256:` like every key Larder derives, and ends in `:lock`, which neither a hashed
 * key (64 hex digits) nor a chunk key (a number) does, so it never equals a caller's key.
 */
export function lockKey(fullKey: string): string {
  return `larder-lock${HASHED_MARK}${createHash('sha256').update(fullKey).digest('hex')}:lock`;
}

/**
 * The cross-process stampede lock on a shared backend (memcached): `add` of the lock key with a
 * random token, for `ttlSeconds`, so a holder that dies loses it when the TTL ends. Released only
 * while it is still the holder's: `gets` the lock, and if it holds this holder's token, `cas` it to
 * `released` (1 s), which the next taker replaces with `cas` too. No compare-and-delete is needed
 * and a release can never free someone else's lock. `lockMs` is the lock's timeout; its TTL in
 * memcached is that rounded up to seconds, plus one (see LOCK_CLOCK_MS).
 */
export async function tryLock(backend: Backend, fullKey: string, lockMs: number): Promise<LockAttempt> {
  const key = lockKey(fullKey);
  const ttlSeconds = Math.ceil(lockMs / 1000) + LOCK_CLOCK_MS / 1000;
  const token = randomBytes(12).toString('base64url');
  const mine = textItem(token);
  try {
    if (await backend.add(key, mine, ttlSeconds)) return acquired(backend, key, token, ttlSeconds);
    const current = await backend.gets(key);
    if (current === undefined) {
      // Released and expired between the two calls: one more add decides.
      if (await backend.add(key, mine, ttlSeconds)) return acquired(backend, key, token, ttlSeconds);
      return { status: 'held', holder: 'unknown' };
    }
    const holder = current.value.toString('latin1');
    if (holder === RELEASED && (await backend.cas(key, mine, current.cas, ttlSeconds)) === true) return acquired(backend, key, token, ttlSeconds);
    return { status: 'held', holder };
  } catch (error) {
    if (error instanceof LarderError && !isAvailabilityError(error)) throw error;
    return { status: 'unavailable', error: error instanceof Error ? error : new Error(String(error)) };
  }
}

function acquired(backend: Backend, key: string, token: string, ttlSeconds: number): HeldLock {
  let released: Promise<void> | undefined;
  // A lease renewed with cas, only while the lock still holds this holder's token.
  const renew = async () => {
    if (released !== undefined) return;
    try {
      const current = await backend.gets(key);
      if (current === undefined || current.value.toString('latin1') !== token || released !== undefined) return;
      await backend.cas(key, textItem(token), current.cas, ttlSeconds);
    } catch {
      // Unrenewed, the lock ends with its TTL, as before.
    }
  };
  const release = () =>
    (released ??= (async () => {
      try {
        const current = await backend.gets(key);
        if (current === undefined || current.value.toString('latin1') !== token) return;
        await backend.cas(key, textItem(RELEASED), current.cas, RELEASED_TTL_SECONDS);
      } catch {
        // Unreleased, the lock ends with its TTL: waiters are bounded by it.
      }
    })());
  return { status: 'acquired', release, renew };
}

function textItem(text: string): StoredItem {
  return { value: Buffer.from(text, 'latin1'), flags: 0 };
}
