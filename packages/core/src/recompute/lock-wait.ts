import { setTimeout as sleep } from 'node:timers/promises';
import { LOCK_CLOCK_MS, type HeldLock, type LockAttempt } from './stampede-lock.js';

/** How a wait for a key's lock ended. */
export type LockWait<T> =
  /** The lock is this caller's: compute, store, then `release`. */
  | { readonly status: 'acquired'; readonly lock: HeldLock }
  /** Another process stored the value meanwhile. */
  | { readonly status: 'found'; readonly value: T }
  /** No lock to be had (memory backend, memcached unreachable) or its holder outlasted the wait: compute without it. */
  | { readonly status: 'alone' };

const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 200;

/**
 * Takes a key's cross-process lock, or waits for the process that holds it: polls `find` with
 * backoff (10 ms doubling to 200 ms) until it gives a value, trying the lock again each round.
 * Each holder gets `lockMs` + 1 s (a new holder, after one died or failed, starts it again), and
 * the whole wait is bounded by twice that; then the caller computes without the lock, so a dead
 * holder delays callers, never blocks them. `onWait` is called once if the caller had to wait.
 */
export async function awaitLock<T>(
  tryLock: () => Promise<LockAttempt> | undefined,
  lockMs: number,
  find: () => Promise<T | undefined>,
  onWait: () => void = () => {},
): Promise<LockWait<T>> {
  const giveUpAt = performance.now() + 2 * (lockMs + LOCK_CLOCK_MS);
  let holder: string | undefined;
  let deadline = 0;
  let waited = false;
  for (let pause = FIRST_POLL_MS; ; pause = Math.min(pause * 2, MAX_POLL_MS)) {
    const lock = await tryLock();
    if (lock === undefined || lock.status === 'unavailable') return ALONE;
    if (lock.status === 'acquired') return { status: 'acquired', lock };
    const now = performance.now();
    if (lock.holder !== holder) {
      holder = lock.holder;
      deadline = Math.min(now + lockMs + LOCK_CLOCK_MS, giveUpAt);
    }
    if (now >= deadline) return ALONE;
    if (!waited) {
      waited = true;
      onWait();
    }
    await sleep(Math.min(pause, deadline - now));
    const value = await find();
    if (value !== undefined) return { status: 'found', value };
  }
}

const ALONE = Object.freeze({ status: 'alone' as const });
