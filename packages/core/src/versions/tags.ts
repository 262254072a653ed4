import { InvalidArgumentError } from '../errors.js';
import { HASHED_MARK, isSafeKey, MEMCACHED_MAX_KEY_LENGTH, toSafeKey } from '../keys.js';
import { MAX_STAMPS, TAG_COUNTER_MARK, type Stamp, type Stamps } from '../envelopes/stamp-envelope.js';

/** Most tags one value carries: one stamp of the envelope's 32 stays for a namespace's counter. */
export const MAX_TAGS = MAX_STAMPS - 1;
/** Longest tag, in characters (a memcached key's length; longer ones are a mistake, not a tag). */
export const MAX_TAG_LENGTH = MEMCACHED_MAX_KEY_LENGTH;

const NO_TAGS: readonly string[] = Object.freeze([]);

/**
 * The tags given to a write, getOrSet or memoize call, checked and deduplicated (first
 * occurrence kept): an array of at most `max` (31) distinct non-empty strings of at most 250
 * characters.
 * A usage error (E_INVALID_ARGUMENT) names the problem, never a tag (tags may carry user data).
 */
export function toTags(tags: unknown, where: string, max = MAX_TAGS): readonly string[] {
  if (tags === undefined) return NO_TAGS;
  if (!Array.isArray(tags)) throw new InvalidArgumentError(`${where}: tags must be an array of strings, got ${tags === null ? 'null' : typeof tags}`);
  if (tags.length === 0) return NO_TAGS;
  const distinct = new Set<string>();
  for (const [i, tag] of (tags as unknown[]).entries()) {
    if (typeof tag !== 'string') throw new InvalidArgumentError(`${where}: tags must be strings, got ${tag === null ? 'null' : typeof tag} at index ${i}`);
    if (tag === '') throw new InvalidArgumentError(`${where}: tags must be non-empty strings, got an empty string at index ${i}`);
    if (tag.length > MAX_TAG_LENGTH) throw new InvalidArgumentError(`${where}: tags are at most ${MAX_TAG_LENGTH} characters, got ${tag.length} at index ${i}`);
    distinct.add(tag);
  }
  if (distinct.size > max) throw new InvalidArgumentError(`${where}: at most ${max} distinct tags per value, got ${distinct.size}`);
  return [...distinct];
}

/** The key (before the cache's prefix and the safe-key step) of a tag's version counter. */
export function tagVersionKey(tag: string): string {
  return `${TAG_COUNTER_MARK}${tag}`;
}

/**
 * The versions some tags had when `cache.tagVersions(tags)` read them: a value written with
 * `{ tags: versions }` is stamped with these, not with the versions at the time of the write, so
 * an `invalidateTags` between the two makes it a miss (a page or value computed from data read
 * before the invalidation cannot outlive it). Opaque: made only by the Cache.
 */
export class TagVersions {
  /** The tags, checked and deduplicated. */
  readonly tags: readonly string[];
  /** Internal: the counters' stamps as read. */
  readonly stamps: Stamps;

  constructor(tags: readonly string[], stamps: Stamps) {
    this.tags = tags;
    this.stamps = stamps;
  }
}

/** The tag stamps among `stamps` (a namespace's counter left out) as TagVersions; undefined when there is none. */
export function tagVersionsOf(stamps: Stamps): TagVersions | undefined {
  let tags: string[] | undefined;
  let tagStamps: Stamp[] | undefined;
  for (const stamp of stamps) {
    const at = stamp.key.indexOf(TAG_COUNTER_MARK);
    if (at < 0) continue;
    (tags ??= []).push(stamp.key.slice(at + TAG_COUNTER_MARK.length));
    (tagStamps ??= []).push(stamp);
  }
  return tags === undefined ? undefined : new TagVersions(tags, tagStamps!);
}

/**
 * Why a hit's `versions.tags` would not name `tag` as given, on a cache with `keyPrefix`; undefined
 * when it would. A read names a tag by its counter's key, keyPrefix + `larder-tag:` + tag: a key
 * memcached could not take as it is gets hashed, and a keyPrefix holding the mark misplaces the tag.
 * For code that tells a value's tags from a read (the session store's user stamp).
 */
export function tagReadBackProblem(keyPrefix: string, tag: string): string | undefined {
  const key = keyPrefix + tagVersionKey(tag);
  const where = `its counter key (keyPrefix + "${TAG_COUNTER_MARK}" + tag)`;
  if (key.length > MEMCACHED_MAX_KEY_LENGTH) return `${where} is ${key.length} characters, too long for memcached (at most ${MEMCACHED_MAX_KEY_LENGTH}), so it is hashed`;
  if (!isSafeKey(key)) return `${where} must be printable ASCII without spaces, or it is hashed`;
  if (toSafeKey(key) !== key) return `${where} must not contain ${HASHED_MARK}, or it is hashed`;
  if (tagVersionsOf([{ key, version: '0' }])?.tags[0] !== tag) return `the cache's keyPrefix must not contain "${TAG_COUNTER_MARK}"`;
  return undefined;
}
