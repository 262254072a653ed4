import type { TagVersions } from '@larder/core';

/** What the store knows of a session id it read, wrote or deleted lately. */
export interface KnownSession {
  /** The user stamp's versions as read (see `HitOutcome.versions`); undefined when it was written or deleted here, or carried none. */
  readonly versions: TagVersions | undefined;
}

interface Held extends KnownSession {
  /** When it was last seen (ms). */
  readonly at: number;
}

/** Session ids remembered at most (the oldest is forgotten first). */
export const KNOWN_SESSION_LIMIT = 20_000;
/** A read this old no longer makes a save conditional on the session being there. */
export const KNOWN_SESSION_MAX_AGE_MS = 10 * 60_000;

/**
 * The session ids this store read from the cache, wrote, or deleted in the last minutes, so a
 * save can tell a session that exists (written back only if it still does: memcached `replace`,
 * so a logout made meanwhile stays a logout) from a brand-new one (written only where nothing is:
 * `add`). A deleted id stays known for the same reason: a request that read it before the logout
 * must not write it back. Bounded in ids (oldest first out), a few hundred bytes each at most;
 * an id lost to the bound or the age is saved as a new one would be, which is still refused
 * when the session is there (the store then replaces it).
 */
export class KnownSessions {
  readonly #byId = new Map<string, Held>();
  readonly #limit: number;

  constructor(limit = KNOWN_SESSION_LIMIT) {
    this.#limit = limit;
  }

  /** Notes that `sessionId` was read (with the versions its stamp held), written or deleted at `now` (ms). */
  saw(sessionId: string, versions: TagVersions | undefined, now: number): void {
    this.#byId.delete(sessionId);
    if (this.#byId.size >= this.#limit) {
      const oldest = this.#byId.keys().next();
      if (!oldest.done) this.#byId.delete(oldest.value);
    }
    this.#byId.set(sessionId, { versions, at: now });
  }

  /** What is known of `sessionId`, when it was seen within the last KNOWN_SESSION_MAX_AGE_MS. */
  recall(sessionId: string, now: number): KnownSession | undefined {
    const held = this.#byId.get(sessionId);
    if (held === undefined) return undefined;
    if (now - held.at <= KNOWN_SESSION_MAX_AGE_MS) return held;
    this.#byId.delete(sessionId);
    return undefined;
  }

  /** Ids known now. */
  get size(): number {
    return this.#byId.size;
  }
}
