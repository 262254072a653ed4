/** What the store noted when it read a session: enough to tell, when the request saves it, that nothing changed. */
export interface ReadMark {
  /** `sessionFingerprint` of the session as read. */
  readonly fingerprint: string;
  /** Unix seconds the stored value is valid until (0: no limit; always 0 for unsealed sessions). */
  readonly sealedUntil: number;
  /** It was sealed with a secret other than the first: the next save reseals it, even unchanged. */
  readonly retiredSecret: boolean;
}

interface HeldMark extends ReadMark {
  /** Reads of this very data not yet followed by a save or touch. */
  unsaved: number;
  /** When it was last read (ms). */
  readAt: number;
}

/** Session ids whose reads are remembered at most (the oldest is forgotten first). */
export const READ_MARK_LIMIT = 10_000;
/** Distinct versions of one session remembered at most (reads in flight while it changes). */
const VERSIONS_PER_SESSION = 4;
/** A read this old no longer vouches for a save: the save writes. */
export const READ_MARK_MAX_AGE_MS = 60_000;

/**
 * The fingerprints of recent reads, by session id, for the saves that end those requests. A
 * save whose session has the fingerprint of a read of that id (one not yet used by another
 * save, at most a minute old) changed nothing, and takes that read. Concurrent requests on one
 * session each find their own read; a request that read one version while another wrote the
 * next still finds the version it read. Bounded in ids (oldest first out) and in versions per id;
 * each mark is a few dozen bytes whatever the session's size. A mark lost to a bound, or never
 * taken (a request that did not save), only costs a write instead of a touch. Keyed by id, so a
 * read never vouches for another session.
 */
export class ReadMarks {
  readonly #byId = new Map<string, HeldMark[]>();
  readonly #limit: number;

  constructor(limit = READ_MARK_LIMIT) {
    this.#limit = limit;
  }

  /** Notes a read of `sessionId` at `now` (ms). */
  add(sessionId: string, mark: ReadMark, now: number): void {
    let marks = this.#byId.get(sessionId);
    if (marks === undefined) {
      if (this.#byId.size >= this.#limit) {
        const oldest = this.#byId.keys().next();
        if (!oldest.done) this.#byId.delete(oldest.value);
      }
      marks = [];
      this.#byId.set(sessionId, marks);
    }
    const same = marks.find((held) => held.fingerprint === mark.fingerprint && now - held.readAt <= READ_MARK_MAX_AGE_MS);
    if (same !== undefined) {
      // The newest read of the same data speaks for its seal.
      Object.assign(same, { sealedUntil: mark.sealedUntil, retiredSecret: mark.retiredSecret, readAt: now, unsaved: same.unsaved + 1 });
      return;
    }
    if (marks.length >= VERSIONS_PER_SESSION) marks.shift();
    // The three fields only: `mark` may be a larger object (holding the JSON text) not to be kept alive.
    marks.push({ fingerprint: mark.fingerprint, sealedUntil: mark.sealedUntil, retiredSecret: mark.retiredSecret, unsaved: 1, readAt: now });
  }

  /** Takes one unused, recent read of `sessionId` whose fingerprint is `fingerprint`; undefined when there is none. */
  take(sessionId: string, fingerprint: string, now: number): ReadMark | undefined {
    const marks = this.#byId.get(sessionId);
    if (marks === undefined) return undefined;
    const at = marks.findIndex((held) => held.fingerprint === fingerprint);
    if (at === -1) return undefined;
    const held = marks[at]!;
    if (now - held.readAt > READ_MARK_MAX_AGE_MS || --held.unsaved <= 0) {
      marks.splice(at, 1);
      if (marks.length === 0) this.#byId.delete(sessionId);
    }
    return now - held.readAt > READ_MARK_MAX_AGE_MS ? undefined : held;
  }

  /** Session ids with marks held now. */
  get size(): number {
    return this.#byId.size;
  }
}
