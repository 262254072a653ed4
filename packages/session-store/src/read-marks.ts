/** What the store noted when it read a session: enough to tell, when the request saves it, that nothing changed. */
export interface ReadMark {
  /** `sessionFingerprint` of the session as read. */
  readonly fingerprint: string;
  /** Unix seconds the stored value is valid until (0: no limit; always 0 for unsealed sessions). */
  readonly sealedUntil: number;
  /** It was sealed with a secret other than the first (or to an older binding): the next save reseals it, even unchanged. */
  readonly retiredSecret: boolean;
}

interface HeldMark extends ReadMark {
  /** Reads of this version not yet followed by a save or touch. */
  unsaved: number;
  /** When it was last read (ms). */
  readAt: number;
}

/** Session ids whose reads are remembered at most (the oldest is forgotten first). */
export const READ_MARK_LIMIT = 10_000;
/** A read this old no longer vouches for a save: the save writes. */
export const READ_MARK_MAX_AGE_MS = 60_000;

/**
 * The latest version of each session this store read, and how many reads of it no save has
 * taken yet, for the saves that end those requests. A save whose session has the fingerprint of
 * that version (read at most a minute ago) changed nothing, and takes one of those reads:
 * concurrent requests on one session each find theirs. Only the latest version counts: a read
 * of another version, or a write of a changed session, forgets the older reads, so a mark never
 * vouches for data the store has since seen replaced (a request that changed the session back
 * to an older version is written). A request that read an older version then saves it unchanged
 * is written too, as any store would. Bounded in ids (oldest first out), a few dozen bytes each
 * whatever the session's size; a mark lost to the bound, or never taken (a request that did not
 * save), only costs a write instead of a touch. Keyed by id, so a read never vouches for another
 * session.
 */
export class ReadMarks {
  readonly #byId = new Map<string, HeldMark>();
  readonly #limit: number;

  constructor(limit = READ_MARK_LIMIT) {
    this.#limit = limit;
  }

  /** Notes a read of `sessionId` at `now` (ms). */
  add(sessionId: string, mark: ReadMark, now: number): void {
    const held = this.#byId.get(sessionId);
    if (held !== undefined && held.fingerprint === mark.fingerprint && now - held.readAt <= READ_MARK_MAX_AGE_MS) {
      // The newest read of the same data speaks for its seal.
      Object.assign(held, { sealedUntil: mark.sealedUntil, retiredSecret: mark.retiredSecret, readAt: now, unsaved: held.unsaved + 1 });
      return;
    }
    this.#byId.delete(sessionId);
    if (this.#byId.size >= this.#limit) {
      const oldest = this.#byId.keys().next();
      if (!oldest.done) this.#byId.delete(oldest.value);
    }
    // The three fields only: `mark` may be a larger object (holding the JSON text) not to be kept alive.
    this.#byId.set(sessionId, { fingerprint: mark.fingerprint, sealedUntil: mark.sealedUntil, retiredSecret: mark.retiredSecret, unsaved: 1, readAt: now });
  }

  /** Takes one untaken, recent read of `sessionId` whose fingerprint is `fingerprint`; undefined when there is none. */
  take(sessionId: string, fingerprint: string, now: number): ReadMark | undefined {
    const held = this.#byId.get(sessionId);
    if (held === undefined || held.fingerprint !== fingerprint) return undefined;
    const fresh = now - held.readAt <= READ_MARK_MAX_AGE_MS;
    if (!fresh || --held.unsaved <= 0) this.#byId.delete(sessionId);
    return fresh ? held : undefined;
  }

  /** Forgets the reads of `sessionId` (a changed version of it was written). */
  forget(sessionId: string): void {
    this.#byId.delete(sessionId);
  }

  /** Session ids with marks held now. */
  get size(): number {
    return this.#byId.size;
  }
}
