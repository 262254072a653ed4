import type { ResponseFreshness } from './freshness.js';

// How a response stored in `freshness: 'response'` mode is judged when it is read again: what
// RFC 9111 worked out when it was received (see freshness.ts), fixed to clock times.

/** The freshness a stored response carries (in its stored head), times in Unix ms. */
export interface StoredFreshness {
  /** When it stops being fresh. */
  readonly freshUntil: number;
  /** Its age when stored, ms (added to the time since, for the `Age` header). */
  readonly initialAge: number;
  /** stale-while-revalidate, ms past `freshUntil`. */
  readonly swr: number;
  /** stale-if-error, ms past `freshUntil`. */
  readonly sie: number;
  /** Revalidated before every use. */
  readonly noCache: boolean;
  /** Never served stale. */
  readonly mustRevalidate: boolean;
  /** It has the handler's ETag or Last-Modified. */
  readonly validated: boolean;
  /** Its `Date` header (replayed as it was: a cache does not change Date). */
  readonly date: string;
}

/** Largest age kept, ms (an unparseable Age is stale at once; its replayed Age is capped here). */
const MAX_AGE_MS = 2 ** 31 * 1000;

/** The StoredFreshness of a response received (and stored) at `storedAt` with `freshness`, and its `date` header if any. */
export function toStoredFreshness(freshness: ResponseFreshness, storedAt: number, date: string | undefined): StoredFreshness {
  const initialAge = Math.min(freshness.initialAgeMs, MAX_AGE_MS);
  return {
    freshUntil: storedAt + Math.max(0, freshness.lifetimeMs - initialAge),
    initialAge,
    swr: freshness.staleWhileRevalidateMs,
    sie: freshness.staleIfErrorMs,
    noCache: freshness.noCache,
    mustRevalidate: freshness.mustRevalidate,
    validated: freshness.validated,
    date: date ?? new Date(storedAt).toUTCString(),
  };
}

/**
 * What to do with a stored response at `now`: serve it (`fresh`); serve it stale while it is
 * refreshed in the background (`stale-while-revalidate`); revalidate it before answering
 * (`revalidate`: with a validator, or within stale-if-error, which then serves it if the refresh
 * fails); or treat it as absent (`expired`).
 */
export type FreshnessAction = 'fresh' | 'stale-while-revalidate' | 'revalidate' | 'expired';

/** The FreshnessAction for `stored` at `now` (see FreshnessAction). */
export function freshnessAction(stored: StoredFreshness, now: number): FreshnessAction {
  if (!stored.noCache && now < stored.freshUntil) return 'fresh';
  const past = now - stored.freshUntil;
  if (!stored.noCache && !stored.mustRevalidate && past < stored.swr) return 'stale-while-revalidate';
  if (stored.validated || withinStaleIfError(stored, now)) return 'revalidate';
  return 'expired';
}

/** True when a stale `stored` may answer because its refresh failed (stale-if-error, and no must-revalidate). */
export function withinStaleIfError(stored: StoredFreshness, now: number): boolean {
  return !stored.mustRevalidate && !stored.noCache && now - stored.freshUntil < stored.sie;
}

/** The `Age` header of `stored` (stored at `storedAt`) at `now`, in whole seconds. */
export function currentAge(stored: StoredFreshness, storedAt: number, now: number): string {
  return String(Math.floor((stored.initialAge + Math.max(0, now - storedAt)) / 1000));
}

/** How long to keep `stored` in the cache from `now`: ttl while fresh, then grace for its stale uses (`keepSeconds` when it can be revalidated). */
export function storageTimes(stored: StoredFreshness, now: number, keepSeconds: number): { ttl: number; grace: number } {
  const ttl = Math.max(1, Math.ceil((stored.freshUntil - now) / 1000));
  const graceMs = Math.max(stored.mustRevalidate || stored.noCache ? 0 : Math.max(stored.swr, stored.sie), stored.validated ? keepSeconds * 1000 : 0);
  return { ttl, grace: Math.ceil(graceMs / 1000) };
}

/** A stored head's `freshness` field checked, else undefined (a foreign or damaged value). */
export function parseStoredFreshness(value: unknown): StoredFreshness | undefined | false {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') return false;
  const f = value as Record<string, unknown>;
  for (const name of ['freshUntil', 'initialAge', 'swr', 'sie']) if (typeof f[name] !== 'number' || !Number.isFinite(f[name]) || (f[name] as number) < 0) return false;
  for (const name of ['noCache', 'mustRevalidate', 'validated']) if (typeof f[name] !== 'boolean') return false;
  if (typeof f.date !== 'string' || !/^[\x20-\x7e]{0,64}$/.test(f.date)) return false;
  return f as unknown as StoredFreshness;
}
