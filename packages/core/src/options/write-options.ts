import { InvalidArgumentError } from '../errors.js';
import { OptionNames } from '../option-names.js';
import { parseTtl, type Ttl } from '../ttl.js';
import { TagVersions, toTags } from '../versions/tags.js';

/** `set`/`write` options beyond a plain TTL. */
export interface WriteOptions {
  /** How long the value is fresh (default: the cache's defaultTtl). */
  ttl?: Ttl;
  /** Keep it this long past `ttl` in a grace envelope, for getOrSet to serve stale (default 0: stored as it is). */
  grace?: Ttl;
  /**
   * Surrogate keys (at most 31 non-empty strings): `cache.invalidateTags([tag])` makes the value a
   * miss in every process. Or the `TagVersions` of `cache.tagVersions(tags)` read before the value
   * was computed, so an invalidation since then makes it a miss.
   */
  tags?: readonly string[] | TagVersions;
}

const WRITE_OPTIONS = new OptionNames('a write', ['ttl', 'grace', 'tags']);

/** A TTL, or the options object. */
export type WriteOption = Ttl | WriteOptions;

/** A WriteOptions object checked: `ttl` as given, `grace` in seconds, `tags` checked and deduplicated; an unknown name is E_INVALID_OPTION. */
export function toWriteOptions(option: WriteOptions): { ttl: Ttl | undefined; grace: number; tags: readonly string[]; versions: TagVersions | undefined } {
  if (Array.isArray(option)) throw new InvalidArgumentError('a write takes a ttl or { ttl, grace, tags }, got an array');
  WRITE_OPTIONS.check(option);
  const grace = option.grace === undefined ? 0 : parseTtl(option.grace, 'grace');
  if (option.tags instanceof TagVersions) return { ttl: option.ttl, grace, tags: option.tags.tags, versions: option.tags };
  return { ttl: option.ttl, grace, tags: toTags(option.tags, 'set/write'), versions: undefined };
}
