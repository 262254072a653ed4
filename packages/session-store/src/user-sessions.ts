import { hash } from 'node:crypto';
import { InvalidOptionError, tagReadBackProblem, type TagVersions } from '@larder/core';
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

/**
 * With `userOf`, a read tells its session's user stamp by the tag it names: the user tag must come
 * back from a read as it was given (core says when it would not: see `tagReadBackProblem`). Else
 * every signed-in session would read as unstamped, so as no session: refused here, naming the option.
 */
export function checkUserStampKeys(keyPrefix: string, prefix: string): void {
  const problem = tagReadBackProblem(keyPrefix, userTag(prefix, 0));
  if (problem !== undefined) throw new InvalidOptionError('prefix', `with userOf, the user tags are built from this prefix, and ${problem}`);
}
