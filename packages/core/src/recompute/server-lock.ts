import { isAvailabilityError, LarderError } from '../errors.js';
import type { LockingRead, ServerGrace } from '../types/backend.js';
import { LOCK_CLOCK_MS, type HeldLock, type LockAttempt } from './stampede-lock.js';

/** The placeholder's life for a lock of `lockMs`: rounded up to seconds, plus one (as the `add` lock's; see LOCK_CLOCK_MS). */
export function serverLockSeconds(lockMs: number): number {
  return Math.ceil(lockMs / 1000) + LOCK_CLOCK_MS / 1000;
}

/**
 * The lock a server-side read (see ServerGrace) took or found, as the flights know locks: its
 * win (W) is the lock, held by this caller; another's (Z) is held; undefined when no token is out.
 * A held server lock is not renewed (meta has no conditional touch): it lives `serverLockSeconds`.
 */
export function lockOfRead(grace: ServerGrace, full: string, read: LockingRead): LockAttempt | undefined {
  if (read.token === 'taken') return { status: 'held', holder: `cas:${read.cas}` };
  if (read.token !== 'won') return undefined;
  let released: Promise<void> | undefined;
  const placeholder = read.item === undefined;
  const lock: HeldLock = {
    status: 'acquired',
    release: () => (released ??= grace.release(full, read.cas, placeholder).catch(() => {})),
    renew: () => Promise.resolve(),
  };
  return lock;
}

// Every remaining TTL is under this: the first refresh of a value's version wins its token.
const ANY_TTL = 0x7fffffff;

/**
 * Takes the lock of backend key `full` on the server: one `mg` with vivify (a miss makes a
 * placeholder this caller wins); for a `refresh` of a value its reader found stale, the first
 * caller wins the value's token (until the value is rewritten, or the token given back). Held
 * when the token is another's, or when a value is there and no refresh was asked.
 */
export async function serverLock(grace: ServerGrace, full: string, lockMs: number, refresh = false): Promise<LockAttempt> {
  try {
    const read = await grace.readOrLock(full, serverLockSeconds(lockMs), refresh ? ANY_TTL : 0);
    return lockOfRead(grace, full, read) ?? { status: 'held', holder: 'stored' };
  } catch (error) {
    if (error instanceof LarderError && !isAvailabilityError(error)) throw error;
    return { status: 'unavailable', error: error instanceof Error ? error : new Error(String(error)) };
  }
}
