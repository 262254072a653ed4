import { InvalidArgumentError } from '../errors.js';
import { toSafeKey } from '../keys.js';
import { toUserKey } from '../reserved-keys.js';
import { isWritableStamp } from '../envelopes/stamp-envelope.js';
import { tagVersionKey } from '../versions/tags.js';

/** A cache's keys: a caller's key, or one of Larder's own, as the backend key it is stored under. */
export class KeySpace {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /**
   * The backend key for a caller's key: a reserved prefix escaped (see reserved-keys.ts), the key
   * prefix, then made memcached-safe. Every caller's key goes through here, so no caller key
   * reaches a version counter, a lock or a chunk.
   */
  key(key: string): string {
    if (typeof key !== 'string') throw new InvalidArgumentError(`cache keys are strings, got ${typeof key}`);
    return toSafeKey(this.prefix + toUserKey(key));
  }

  /** The backend key of one of Larder's own keys (a version counter): the key prefix, made memcached-safe, never escaped. */
  internal(key: string): string {
    return toSafeKey(this.prefix + key);
  }

  /** The backend keys of a list of caller's keys. */
  keys(operation: string, keys: readonly string[]): string[] {
    if (!Array.isArray(keys)) throw new InvalidArgumentError(`${operation} takes an array of keys, got ${typeof keys}`);
    return keys.map((key) => this.key(key));
  }

  /** The backend keys of the tags' version counters; a usage error when the key prefix leaves no readable counter key. */
  tagKeys(tags: readonly string[]): string[] {
    return tags.map((tag) => {
      const versionKey = this.internal(tagVersionKey(tag));
      // A counter key whose mark the safe-key step hashed away could not be told from a forged stamp.
      if (!isWritableStamp({ key: versionKey, version: '0' })) throw new InvalidArgumentError('a tag and key prefix this long leave no readable counter key: shorten them');
      return versionKey;
    });
  }
}
