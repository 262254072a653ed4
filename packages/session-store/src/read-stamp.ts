import { MAX_TAGS, TagVersions } from '@larder/core';

// Whether a session being saved was read from the store, and with which user stamp, travels with
// the session itself: express-session and @fastify/session copy every member of what `get`
// returned into the request's session and hand that object back to `set`. So the answer needs
// no per-process memory that could be outgrown or outlived (an id forgotten there would be saved
// as new, and a logout undone), and holds for a request of any length, in any process.

/** The member the store adds to a session it read (never stored: the store leaves it out of what it writes). */
export const READ_STAMP = 'larderRead';

/** What a session handed to a save says of where it came from. */
export type ReadOrigin =
  /** Made in this request (no stamp): stored only where nothing is. */
  | { readonly read: false }
  /** Read from the store (or written by it earlier in this request): stored only over a value that is there, with the user stamp read. */
  | { readonly read: true; readonly versions: TagVersions | undefined }
  /** The stamp was changed by the app: saved nowhere (a changed stamp could undo an ended session). */
  | { readonly read: 'altered' };

interface StampForm {
  /** The session id it was read (or written) under: a stamp copied into another session means nothing there. */
  readonly i: string;
  /** The user stamp's tags and their counters' [key, version] as read, when it had one. */
  readonly t?: readonly string[];
  readonly s?: ReadonlyArray<readonly [string, string]>;
}

/** Marks `session` as read from the store under `sessionId` (or written there), with the user stamp's versions read, if any. */
export function stampRead(session: Record<string, unknown>, sessionId: string, versions: TagVersions | undefined): void {
  const form: StampForm = versions === undefined ? { i: sessionId } : { i: sessionId, t: versions.tags, s: versions.stamps.map((stamp) => [stamp.key, stamp.version] as const) };
  session[READ_STAMP] = form;
}

/** Where the session handed to a save under `sessionId` came from (see ReadOrigin). */
export function readOriginOf(session: Readonly<Record<string, unknown>>, sessionId: string): ReadOrigin {
  const form = session[READ_STAMP];
  if (form === undefined) return NEW;
  if (form === null || typeof form !== 'object') return ALTERED;
  const { i, t, s } = form as { i?: unknown; t?: unknown; s?: unknown };
  // Read under another id (its data copied into a new session, say): this one is new.
  if (typeof i === 'string' && i !== sessionId) return NEW;
  if (i !== sessionId) return ALTERED;
  if (t === undefined && s === undefined) return READ_UNSTAMPED;
  if (!Array.isArray(t) || !Array.isArray(s) || t.length !== s.length || t.length === 0 || t.length > MAX_TAGS) return ALTERED;
  if (!t.every((tag) => typeof tag === 'string')) return ALTERED;
  if (!s.every((pair) => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string')) return ALTERED;
  const stamps = (s as Array<[string, string]>).map(([key, version]) => ({ key, version }));
  return { read: true, versions: new TagVersions(t as string[], stamps) };
}

const NEW: ReadOrigin = Object.freeze({ read: false });
const READ_UNSTAMPED: ReadOrigin = Object.freeze({ read: true, versions: undefined });
const ALTERED: ReadOrigin = Object.freeze({ read: 'altered' });
