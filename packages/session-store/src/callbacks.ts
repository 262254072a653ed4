import type { SessionCallback, StoreCallback, StoredSession } from './types.js';

// Callbacks run on the next tick, outside the promise chain: a throwing callback is then an
// uncaught exception, as with any Node callback API, and is never mistaken for a store failure.

/** Hands a session read to `get`'s callback: `(null, session | null)` or `(error)`. */
export function settleSession<S>(promise: Promise<StoredSession | null>, callback: SessionCallback<S>): void {
  promise.then(
    // The caller names its framework's session type; what it gets is the JSON data it restores from.
    (session) => process.nextTick(callback, null, session as S | null),
    (error: unknown) => process.nextTick(callback, toError(error)),
  );
}

/** Hands a write's outcome to an optional `(error?)` callback; without one, the outcome is dropped (the store has logged it). */
export function settleVoid(promise: Promise<unknown>, callback: StoreCallback | undefined): void {
  promise.then(
    () => callback && process.nextTick(callback, null),
    (error: unknown) => callback && process.nextTick(callback, toError(error)),
  );
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
