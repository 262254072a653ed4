/** Where namespace version counters live: this, then the namespace's name. */
export const NAMESPACE_COUNTER_PREFIX = 'larder-ns:';
/** Where tag version counters live: this, then the tag. */
export const TAG_COUNTER_PREFIX = 'larder-tag:';
/** Where the markers of soft tag invalidations live: this, then the tag counter's backend key (see soft-marks.ts). */
export const TAG_SOFT_PREFIX = 'larder-tag-soft:';
/** What a caller's key that starts with a reserved prefix is stored under: this, then the key. */
export const USER_KEY_ESCAPE = 'larder-key:';

/**
 * Key prefixes Larder keeps for itself: namespace and tag version counters (`larder-ns:`,
 * `larder-tag:`), soft invalidation markers (`larder-tag-soft:`), stampede locks (`larder-lock:`), chunks of large values (`larder-chunk:`), and
 * the escape of caller keys that start with one of these (`larder-key:`).
 */
export const RESERVED_KEY_PREFIXES: readonly string[] = Object.freeze([NAMESPACE_COUNTER_PREFIX, TAG_COUNTER_PREFIX, TAG_SOFT_PREFIX, 'larder-lock:', 'larder-chunk:', USER_KEY_ESCAPE]);

const COMMON = 'larder-';
const L = COMMON.charCodeAt(0);

/**
 * A caller's key (before the cache's key prefix) as the Cache stores it: unchanged, unless it
 * starts with a reserved prefix, then `larder-key:` + the key. Injective (escaped keys all start
 * with `larder-key:`, and no unescaped key does), and no caller key can spell a counter, lock or
 * chunk key: `cache.set('larder-tag:t', v)` writes `larder-key:larder-tag:t`, never the counter.
 */
export function toUserKey(key: string): string {
  // Nearly every key fails the first test: one character compare on the hot path.
  if (key.charCodeAt(0) !== L || !key.startsWith(COMMON)) return key;
  for (const prefix of RESERVED_KEY_PREFIXES) if (key.startsWith(prefix)) return USER_KEY_ESCAPE + key;
  return key;
}
