import { InvalidArgumentError } from './errors.js';
import type { RecomputeOptions } from './recompute/recompute-options.js';
import type { Ttl } from './ttl.js';

/** Options of `getOrSet` beyond a plain TTL; the recompute options override the cache's defaults. */
export interface GetOrSetOptions<T = unknown> extends RecomputeOptions {
  /** How long a computed value lives (default: the cache's defaultTtl). */
  ttl?: Ttl;
  /** Recompute and overwrite whatever is cached (concurrent forced callers of one key share one run). */
  force?: boolean;
  /** Whether to store a computed value (default: every value but undefined); the value is returned either way. */
  shouldStore?: (value: T) => boolean;
  /** Read past the near cache (the computed value is stored as usual). */
  fresh?: boolean;
  /** Surrogate keys of the value (at most 31): stamped with their versions read before the factory runs; only a value carrying them all is served. */
  tags?: readonly string[];
}

/** A TTL, or the options object. */
export type GetOrSetOption<T = unknown> = Ttl | GetOrSetOptions<T>;

/** `getOrSet`'s third argument as an options object; a usage error names what is wrong. */
export function toGetOrSetOptions<T>(option: GetOrSetOption<T> | undefined): GetOrSetOptions<T> {
  if (option === undefined || typeof option === 'number' || typeof option === 'string') return option === undefined ? {} : { ttl: option };
  if (option === null || typeof option !== 'object') throw new InvalidArgumentError(`getOrSet takes a ttl or { ttl, force, shouldStore, fresh, tags, grace, staleIfError, timeout, lock }, got ${option === null ? 'null' : typeof option}`);
  if (option.force !== undefined && typeof option.force !== 'boolean') throw new InvalidArgumentError(`getOrSet option force must be a boolean, got ${typeof option.force}`);
  if (option.shouldStore !== undefined && typeof option.shouldStore !== 'function') throw new InvalidArgumentError(`getOrSet option shouldStore must be a function, got ${typeof option.shouldStore}`);
  if (option.fresh !== undefined && typeof option.fresh !== 'boolean') throw new InvalidArgumentError(`getOrSet option fresh must be a boolean, got ${typeof option.fresh}`);
  return option;
}
