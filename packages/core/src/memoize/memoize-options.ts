import { checkOptionsObject, describe } from '../options/cache-option-checks.js';
import { InvalidOptionError } from '../errors.js';
import { OptionNames, type ListsExactly } from '../option-names.js';
import { NO_RECOMPUTE, optionFailure, toRecomputePolicy, type RecomputeOptions } from '../recompute/recompute-options.js';
import { parseTtlOption, type Ttl } from '../ttl.js';
import { toTags } from '../versions/tags.js';
import type { MemoizeCache } from './memoize-cache.js';

/** Options of `memoize` (Flask-Caching's `@cache.memoize()`); `grace`, `staleIfError`, `timeout` and `lock` as getOrSet's. */
export interface MemoizeOptions<Args extends unknown[] = unknown[], Result = unknown> extends RecomputeOptions {
  /** How long results live (default: the cache's defaultTtl). */
  ttl?: Ttl;
  /** Stable identity of the function; without it the module and function name are used. */
  name?: string;
  /** Skip the cache entirely for these arguments. */
  unless?: (...args: Args) => boolean;
  /** Recompute and store for these arguments, ignoring what is cached. */
  forcedUpdate?: (...args: Args) => boolean;
  /** Cache a result only when this returns true. */
  responseFilter?: (result: Awaited<Result>) => boolean;
  /** Surrogate keys of each result (an array, or a function of the call's arguments returning one): `cache.invalidateTags([tag])` drops those results everywhere. */
  tags?: readonly string[] | ((...args: Args) => readonly string[]);
  /** The cache to use (default: the one `setDefaultCache` or the Fastify plugin set; with neither, a call throws E_INVALID_OPTION). */
  cache?: MemoizeCache;
  /** Told of identity guesses that may collide (default: console.warn). */
  warn?: (message: string) => void;
}

const MEMOIZE_NAMES = ['ttl', 'name', 'unless', 'forcedUpdate', 'responseFilter', 'tags', 'cache', 'warn', 'grace', 'staleIfError', 'timeout', 'lock'] as const;
const memoizeOptionsListed: ListsExactly<(typeof MEMOIZE_NAMES)[number], keyof MemoizeOptions> = true;
void memoizeOptionsListed;
const MEMOIZE_OPTIONS = new OptionNames('memoize', MEMOIZE_NAMES);
const CACHE_MEMOIZE_OPTIONS = new OptionNames('cache.memoize (it uses that cache)', MEMOIZE_NAMES.filter((name) => name !== 'cache'));
const FUNCTIONS = ['unless', 'forcedUpdate', 'responseFilter', 'warn'] as const;
const CACHE_METHODS = ['get', 'set', 'add', 'delete', 'getOrSet'] as const;

/**
 * Checks every memoize option, once, where a function is wrapped (or `memoize(options)` made for
 * a decorator), never per call: an unknown name or a bad value is an InvalidOptionError
 * (E_INVALID_OPTION) naming the option. `withCache` false: `cache.memoize`, which takes no `cache`.
 */
export function checkMemoizeOptions(options: unknown, withCache = true): void {
  checkOptionsObject(options, 'memoize');
  if (options === undefined) return;
  const given = options as MemoizeOptions<never[], unknown>;
  (withCache ? MEMOIZE_OPTIONS : CACHE_MEMOIZE_OPTIONS).check(given);
  if (given.ttl !== undefined) parseTtlOption('ttl', given.ttl);
  if (given.name !== undefined && (typeof given.name !== 'string' || given.name === '')) throw new InvalidOptionError('name', `must be a non-empty string, got ${describe(given.name)}`);
  for (const name of FUNCTIONS) {
    if (given[name] !== undefined && typeof given[name] !== 'function') throw new InvalidOptionError(name, `must be a function, got ${describe(given[name])}`);
  }
  const { tags, cache } = given;
  if (tags !== undefined && typeof tags !== 'function') {
    try {
      toTags(tags, 'memoize');
    } catch (cause) {
      throw new InvalidOptionError('tags', `must be an array of tags or a function of the arguments returning one: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }
  if (cache !== undefined) {
    const missing = CACHE_METHODS.filter((method) => typeof (cache as unknown as Record<string, unknown> | null)?.[method] !== 'function');
    if (missing.length > 0) throw new InvalidOptionError('cache', `must be a Cache (no ${missing.join(', ')} method on ${describe(cache)})`);
  }
  toRecomputePolicy(given, NO_RECOMPUTE, optionFailure());
}
