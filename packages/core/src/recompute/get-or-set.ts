import { FactoryTimeoutError } from '../errors.js';
import type { ReadScope } from '../versions/read-scope.js';
import type { Flights, FlightCall } from './flight.js';
import type { RecomputePolicy } from './recompute-options.js';

/** One getOrSet call's settings, resolved. */
export interface GetOrSetCall<T> {
  readonly ttlSeconds: number;
  readonly policy: RecomputePolicy;
  readonly force: boolean;
  readonly shouldStore: ((value: T) => boolean) | undefined;
  /** Read past the near cache. */
  readonly fresh: boolean;
  /** The namespace the call is in, if any. */
  readonly scope: ReadScope | undefined;
}

/** What getOrSet's computation calls down into: the write of a computed value, and where a factory's run time goes. */
export interface ComputeStore {
  write(key: string, value: unknown, call: GetOrSetCall<unknown>): Promise<unknown>;
  recomputed(key: string, ms: number, ok: boolean): void;
}

/**
 * getOrSet over the flights: open the flight (fresh, stale and wait answer at once), else lead it:
 * run the factory, store what it gives, settle. A forced call leads a flight of its own without
 * reading. A stale value's refresh is the same computation, in the background.
 */
export async function getOrSet<T>(flights: Flights, name: string, flight: FlightCall<T>, call: GetOrSetCall<T>, store: ComputeStore, factory: () => T | Promise<T>): Promise<T> {
  const withRefresh: FlightCall<T> = { ...flight, refresh: () => compute(flight.key, factory, call, store) };
  // A safe key holds no line feed, so a forced flight never meets a plain one.
  const opened = call.force ? flights.force(`${name}\nforce`, withRefresh) : await flights.open(name, withRefresh);
  if (opened.state === 'fresh' || opened.state === 'stale') return opened.value;
  if (opened.state === 'wait') return opened.settled as Promise<T>;
  let value: T;
  try {
    value = await compute(flight.key, factory, call, store);
  } catch (error) {
    opened.abandon(error);
    throw error;
  }
  opened.settle(value);
  return value;
}

/** Runs the factory (bounded by `timeout.hard`) and stores what it gives, unless undefined or refused by `shouldStore`. */
async function compute<T>(key: string, factory: () => T | Promise<T>, call: GetOrSetCall<T>, store: ComputeStore): Promise<T> {
  const keep = async (value: T): Promise<T> => {
    if (value !== undefined && (call.shouldStore?.(value) ?? true)) await store.write(key, value, call as GetOrSetCall<unknown>);
    return value;
  };
  const startedAt = performance.now();
  const running = (async () => factory())();
  running.then(
    () => store.recomputed(key, performance.now() - startedAt, true),
    () => store.recomputed(key, performance.now() - startedAt, false),
  );
  const hardMs = call.policy.hardMs;
  if (hardMs === 0) return keep(await running);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FactoryTimeoutError(hardMs)), hardMs);
  });
  try {
    return await keep(await Promise.race([running, timedOut]));
  } catch (error) {
    // A factory that settles after the hard timeout still fills the cache for the next caller.
    if (error instanceof FactoryTimeoutError) running.then(keep).catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
