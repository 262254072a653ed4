import { InvalidArgumentError } from '../errors.js';
import { OptionNames, type ListsExactly } from '../option-names.js';
import type { RecomputeOptions } from '../recompute/recompute-options.js';
import type { Ttl } from '../ttl.js';

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

const GET_OR_SET_NAMES = ['ttl', 'force', 'shouldStore', 'fresh', 'tags', 'grace', 'staleIfError', 'timeout', 'lock'] as const;
const getOrSetOptionsListed: ListsExactly<(typeof GET_OR_SET_NAMES)[number], keyof GetOrSetOptions> = true;
void getOrSetOptionsListed;
const GET_OR_SET_OPTIONS = new OptionNames('getOrSet', GET_OR_SET_NAMES);

/** `getOrSet`'s third argument as an options object: an unknown name is E_INVALID_OPTION, a bad value E_INVALID_ARGUMENT. */
export function toGetOrSetOptions<T>(option: GetOrSetOption<T> | undefined): GetOrSetOptions<T> {
  if (option === undefined || typeof option === 'number' || typeof option === 'string') return option === undefined ? {} : { ttl: option };
  if (option === null || typeof option !== 'object') throw new InvalidArgumentError(`getOrSet takes a ttl or { ttl, force, shouldStore, fresh, tags, grace, staleIfError, timeout, lock }, got ${option === null ? 'null' : typeof option}`);
  GET_OR_SET_OPTIONS.check(option);
  if (option.force !== undefined && typeof option.force !== 'boolean') throw new InvalidArgumentError(`getOrSet option force must be a boolean, got ${typeof option.force}`);
  if (option.shouldStore !== undefined && typeof option.shouldStore !== 'function') throw new InvalidArgumentError(`getOrSet option shouldStore must be a function, got ${typeof option.shouldStore}`);
  if (option.fresh !== undefined && typeof option.fresh !== 'boolean') throw new InvalidArgumentError(`getOrSet option fresh must be a boolean, got ${typeof option.fresh}`);
  return option;
}
