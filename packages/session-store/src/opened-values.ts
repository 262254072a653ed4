/** What a stored value of a session was found to hold: its JSON text, its seal's terms, its fingerprint. */
export interface OpenedValue {
  /** The session's JSON text. */
  readonly json: string;
  /** Unix seconds a sealed value is valid until (0: no limit, or not sealed). */
  readonly sealedUntil: number;
  /** Sealed with a secret other than the first, or to a binding other than the first (see `openBindings`). */
  readonly retiredSecret: boolean;
  /** `storedFingerprint` of the session it holds. */
  readonly fingerprint: string;
}

interface Held {
  readonly raw: Buffer | string;
  readonly opened: OpenedValue;
  readonly bytes: number;
}

/** Bytes held at most, estimated (default 4 MiB). */
const MAX_BYTES = 4 * 1024 * 1024;
/** Values larger than this are opened on every read and never held. */
const MAX_ENTRY_BYTES = 16 * 1024;
// Map entry, the id beside it, the object: a rough upper bound.
const ENTRY_OVERHEAD = 256;

/**
 * The value last opened for each session id, so that reading the very same bytes again (a
 * session touched, not rewritten, reads back identical on every request) skips the decryption
 * and the fingerprint. "The same" is equal bytes (or text) under the same id: equal bytes
 * authenticated once under this id open the same way again. Only what is derived from the bytes
 * alone is held; what depends on the time (the seal's and the cookie's expiry) is checked on
 * every read by the caller. Bounded in bytes, oldest first out.
 */
export class OpenedValues {
  readonly #byId = new Map<string, Held>();
  #bytes = 0;

  /** What `raw`, read under `sessionId`, was found to hold the last time; undefined when not that value. */
  recall(sessionId: string, raw: Buffer | string): OpenedValue | undefined {
    const held = this.#byId.get(sessionId);
    if (held === undefined) return undefined;
    if (typeof raw === 'string' ? held.raw === raw : Buffer.isBuffer(held.raw) && held.raw.equals(raw)) return held.opened;
    return undefined;
  }

  /** Holds what `raw` (a value read by the caller, never changed afterwards) holds, unless too large. */
  remember(sessionId: string, raw: Buffer | string, opened: OpenedValue): void {
    const bytes = (typeof raw === 'string' ? raw.length * 2 : raw.length) + (opened.json === raw ? 0 : opened.json.length * 2) + sessionId.length * 2 + ENTRY_OVERHEAD;
    this.forget(sessionId);
    if (bytes > MAX_ENTRY_BYTES) return;
    for (const [oldest, entry] of this.#byId) {
      if (this.#bytes + bytes <= MAX_BYTES) break;
      this.#byId.delete(oldest);
      this.#bytes -= entry.bytes;
    }
    this.#byId.set(sessionId, { raw, opened, bytes });
    this.#bytes += bytes;
  }

  /** Drops what is held for `sessionId`. */
  forget(sessionId: string): void {
    const held = this.#byId.get(sessionId);
    if (held === undefined) return;
    this.#byId.delete(sessionId);
    this.#bytes -= held.bytes;
  }

  /** Bytes held now (estimated). */
  get bytes(): number {
    return this.#bytes;
  }
}
