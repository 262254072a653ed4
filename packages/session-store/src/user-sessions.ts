import { hash } from 'node:crypto';
import { InvalidOptionError, type TagVersions } from '@larder/core';
import type { SessionData } from './types.js';

/** A user as `userOf` names one: a string or a number; undefined or null for a session of nobody. */
export type SessionUser = string | number | null | undefined;

/** The `userOf` option: who a session belongs to, read from the session's own data. */
export type UserOf = (session: SessionData & { readonly [key: string]: unknown }) => SessionUser;

/**
 * The tag whose version counter every session of `user` is stamped with (see Cache tags): the
 * store's prefix, `user:`, and a SHA-256 of the user (base64url), so the counter key is
 * memcached-safe whatever the user id holds and never shows it (an email, say) in the cache. A
 * number and its decimal text are one user.
 */
export function userTag(prefix: string, user: string | number): string {
  return `${prefix}user:${hash('sha256', String(user), 'base64url')}`;
}

/** The user tag of a session, or undefined for a session of nobody (or without `userOf`). */
export function userTagOf(prefix: string, userOf: UserOf | undefined, session: SessionData): string | undefined {
  if (userOf === undefined) return undefined;
  const user = userOf(session as SessionData & { readonly [key: string]: unknown });
  return user === undefined || user === null || user === '' ? undefined : userTag(prefix, user);
}

/** True when a read's stamp versions include `tag`'s: the session is stamped with its user's counter. */
export function carriesTag(versions: TagVersions | undefined, tag: string): boolean {
  return versions !== undefined && versions.tags.includes(tag);
}

/** The counter mark core puts before a tag in its counter's key (see Cache tags). */
const TAG_COUNTER_MARK = 'larder-tag:';
/** Printable ASCII without spaces: what memcached takes in a key as it is. */
const PLAIN_KEY = /^[\x21-\x7e]*$/;
const USER_HASH_LENGTH = 43;
/** memcached's longest key. */
const MAX_KEY = 250;
/** What marks a key core has hashed. */
const HASHED_MARK = ':sha256:';

/**
 * With `userOf`, a read tells its session's user stamp by the counter's key: that key must be kept
 * as it is, not hashed (a prefix with spaces or non-ASCII characters, or one too long, would be),
 * and the cache's keyPrefix must not itself hold core's counter mark. Else every signed-in session
 * would read as unstamped, so as no session: refused here, naming the option.
 */
export function checkUserStampKeys(keyPrefix: string, prefix: string): void {
  if (!PLAIN_KEY.test(prefix)) throw new InvalidOptionError('prefix', 'with userOf, must be printable ASCII without spaces (the user counters\' keys are built from it)');
  if (!PLAIN_KEY.test(keyPrefix) || keyPrefix.includes(TAG_COUNTER_MARK)) {
    throw new InvalidOptionError('prefix', `with userOf, the cache's keyPrefix must be printable ASCII without spaces and must not contain ${TAG_COUNTER_MARK}`);
  }
  if ((keyPrefix + prefix).includes(HASHED_MARK)) throw new InvalidOptionError('prefix', `with userOf, keyPrefix + prefix must not contain ${HASHED_MARK} (core hashes such keys)`);
  if (keyPrefix.length + TAG_COUNTER_MARK.length + userTag(prefix, 0).length > MAX_KEY) {
    throw new InvalidOptionError('prefix', `with userOf, keyPrefix + prefix is too long for a user counter's key (at most ${MAX_KEY - TAG_COUNTER_MARK.length - 'user:'.length - USER_HASH_LENGTH} characters)`);
  }
}
