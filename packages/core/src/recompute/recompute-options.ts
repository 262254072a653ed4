import { parseDurationOption, type Duration } from '../duration.js';
import { InvalidOptionError, LarderError } from '../errors.js';
import { OptionNames } from '../option-names.js';
import { parseTtl, type Ttl } from '../ttl.js';

/**
 * How the read-compute-write path (getOrSet, memoize, views, fragments) behaves past a value's
 * ttl and on a miss. Everything is off unless asked for. Given to `new Cache()` as defaults,
 * per call to getOrSet / memoize, per route in `config.cache`.
 */
export interface RecomputeOptions {
  /** Keep values this long past their ttl (seconds or `'1h'`, default 0 = off); a stale value is served while one caller refreshes it. */
  grace?: Ttl;
  /** With grace: a caller waiting for a refresh that fails gets the stale value instead of the error (default true). */
  staleIfError?: boolean;
  /** `soft`: how long a caller holding a stale value waits for the refresh (default 0: stale at once); `hard`: the longest a factory is waited for (E_TIMEOUT). */
  timeout?: RecomputeTimeouts;
  /** On a shared backend (memcached), one process computes a missing value while the others wait: `true` (5 s) or `{ timeout }` (default false). */
  lock?: boolean | LockOptions;
}

/** The two factory timeouts (numbers are milliseconds). */
export interface RecomputeTimeouts {
  /** With a stale value: wait this long for the refresh, then serve stale (it goes on in the background). */
  soft?: Duration;
  /** Wait at most this long for a factory, then E_TIMEOUT (or the stale value); a late result is still stored. */
  hard?: Duration;
}

/** The cross-process lock's settings. */
export interface LockOptions {
  /** How long the lock is held at most (its TTL in memcached), and how long others wait for its holder (default 5 s). */
  timeout?: Duration;
}

/** RecomputeOptions checked and in numbers: 0 means off. */
export interface RecomputePolicy {
  readonly graceSeconds: number;
  readonly staleIfError: boolean;
  readonly softMs: number;
  readonly hardMs: number;
  readonly lockMs: number;
}

/** Every feature off: what a Cache without recompute options uses. */
export const NO_RECOMPUTE: RecomputePolicy = Object.freeze({ graceSeconds: 0, staleIfError: true, softMs: 0, hardMs: 0, lockMs: 0 });

const DEFAULT_LOCK_MS = 5000;
const TIMEOUT_NAMES = new OptionNames('timeout', ['soft', 'hard']);
const LOCK_NAMES = new OptionNames('lock', ['timeout']);

/** Makes the typed error for a bad option: `name` as the caller spells it, and what is wrong. */
export type OptionFailure = (name: string, problem: string) => LarderError;

/** The option error for `new Cache()`, memoize and route configs (E_INVALID_OPTION), `prefix` naming where it sits. */
export function optionFailure(prefix = '', where?: string): OptionFailure {
  return (name, problem) => new InvalidOptionError(`${prefix}${name}`, where === undefined ? problem : `${problem} (${where})`);
}

/** `fail`'s error for an unknown name (as the caller spells it), made E_INVALID_OPTION whatever `fail` makes of bad values. */
function unknownName(fail: OptionFailure, path: string, names: OptionNames, name: string): LarderError {
  const error = fail(`${path}${name}`, names.problem(name));
  return error instanceof InvalidOptionError ? error : new InvalidOptionError(`${path}${name}`, names.problem(name), { cause: error });
}

/**
 * `options` over `base`: each option given replaces the base's; a bad value is `fail`'s error,
 * thrown now (at construction or registration, not at the first request).
 */
export function toRecomputePolicy(options: { readonly [K in keyof RecomputeOptions]?: RecomputeOptions[K] | undefined }, base: RecomputePolicy, fail: OptionFailure): RecomputePolicy {
  const { grace, staleIfError, timeout, lock } = options;
  let graceSeconds = base.graceSeconds;
  if (grace !== undefined) {
    try {
      graceSeconds = parseTtl(grace, 'grace');
    } catch (error) {
      throw fail('grace', error instanceof Error ? error.message : String(error));
    }
  }
  if (staleIfError !== undefined && typeof staleIfError !== 'boolean') throw fail('staleIfError', 'must be a boolean');
  let { softMs, hardMs, lockMs } = base;
  if (timeout !== undefined) {
    if (timeout === null || typeof timeout !== 'object') throw fail('timeout', "must be { soft, hard } (numbers in ms, or strings like '200ms')");
    const unknown = TIMEOUT_NAMES.unknownIn(timeout);
    if (unknown !== undefined) throw unknownName(fail, 'timeout.', TIMEOUT_NAMES, unknown);
    if (timeout.soft !== undefined) softMs = timeout.soft === 0 ? 0 : duration(fail, 'timeout.soft', timeout.soft);
    if (timeout.hard !== undefined) hardMs = timeout.hard === 0 ? 0 : duration(fail, 'timeout.hard', timeout.hard);
  }
  if (lock !== undefined) {
    if (typeof lock === 'boolean') lockMs = lock ? (base.lockMs || DEFAULT_LOCK_MS) : 0;
    else if (lock !== null && typeof lock === 'object') {
      const unknown = LOCK_NAMES.unknownIn(lock);
      if (unknown !== undefined) throw unknownName(fail, 'lock.', LOCK_NAMES, unknown);
      lockMs = lock.timeout === undefined ? DEFAULT_LOCK_MS : duration(fail, 'lock.timeout', lock.timeout);
    } else throw fail('lock', 'must be true, false or { timeout }');
  }
  if (softMs > 0 && hardMs > 0 && softMs >= hardMs) throw fail('timeout.soft', `must be shorter than timeout.hard (${softMs} ms >= ${hardMs} ms)`);
  return { graceSeconds, staleIfError: staleIfError ?? base.staleIfError, softMs, hardMs, lockMs };
}

function duration(fail: OptionFailure, name: string, value: unknown): number {
  try {
    return parseDurationOption(name, value, 'ms');
  } catch (error) {
    throw fail(name, error instanceof LarderError ? error.message.replace(/^[^:]*: /, '') : String(error));
  }
}
