import { InvalidArgumentError } from '../errors.js';
import { OptionNames } from '../option-names.js';
import { DEFAULT_SOFT_GRACE } from '../store/soft-delete.js';
import { parseTtl, type Ttl } from '../ttl.js';

/** Options of `Cache.invalidateTags`. */
export interface InvalidateOptions {
  /**
   * Make the values carrying a tag stale instead of misses: plain reads miss them, getOrSet and
   * the response cache serve them (as values within grace) while one refresh runs. Default false.
   */
  soft?: boolean;
  /** How long softly invalidated values stay servable (default: the Cache's grace, else 60 s); only with `soft`. */
  grace?: Ttl;
}

const INVALIDATE_OPTIONS = new OptionNames('invalidateTags', ['soft', 'grace']);

/** An invalidation's grace in seconds when soft, undefined when hard; unknown names E_INVALID_OPTION, bad values E_INVALID_ARGUMENT. */
export function toSoftGrace(options: InvalidateOptions | undefined, defaultGrace: number): number | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new InvalidArgumentError('invalidateTags takes { soft, grace }');
  INVALIDATE_OPTIONS.check(options);
  if (options.soft !== undefined && typeof options.soft !== 'boolean') throw new InvalidArgumentError(`invalidateTags option soft must be a boolean, got ${typeof options.soft}`);
  if (options.soft !== true) {
    if (options.grace !== undefined) throw new InvalidArgumentError('invalidateTags option grace needs soft: true (a hard invalidation has no grace)');
    return undefined;
  }
  const graceSeconds = options.grace === undefined ? defaultGrace || DEFAULT_SOFT_GRACE : parseTtl(options.grace, 'grace');
  if (graceSeconds <= 0) throw new InvalidArgumentError('invalidateTags option grace must be over 0 s (0 would keep the stale values forever)');
  return graceSeconds;
}
