import type { Stamps } from '../envelopes/stamp-envelope.js';

// Keys remembered at most, and their characters (keys and counter keys) at most: about 4 MiB.
const MAX_HINTS = 10_000;
const MAX_CHARS = 2 * 1024 * 1024;
const ENTRY_CHARS = 64;

/**
 * Which version counters the value at a backend key was last seen (or written) with, so the next
 * plain read of that key fetches them with the value in one round trip: a plain read cannot know
 * a value's tags before it has the value. Only a guess: a value found with other stamps costs a
 * second round trip for the counters missing, then the hint is corrected. Bounded, oldest first out.
 */
export class StampHints {
  readonly #hints = new Map<string, readonly string[]>();
  #chars = 0;

  /** The counter keys the value at `fullKey` was last seen with; undefined when none. */
  get(fullKey: string): readonly string[] | undefined {
    return this.#hints.size === 0 ? undefined : this.#hints.get(fullKey);
  }

  /** The value at `fullKey` was seen or written with `stamps` (none: forget the key). */
  learn(fullKey: string, stamps: Stamps | undefined): void {
    if (stamps === undefined || stamps.length === 0) {
      this.forget(fullKey);
      return;
    }
    const known = this.#hints.get(fullKey);
    if (known !== undefined && known.length === stamps.length && known.every((key, i) => key === stamps[i]!.key)) return;
    this.forget(fullKey);
    const keys = stamps.map((stamp) => stamp.key);
    const chars = charsOf(fullKey, keys);
    if (chars > MAX_CHARS) return;
    for (const [oldest, held] of this.#hints) {
      if (this.#hints.size < MAX_HINTS && this.#chars + chars <= MAX_CHARS) break;
      this.#hints.delete(oldest);
      this.#chars -= charsOf(oldest, held);
    }
    this.#hints.set(fullKey, keys);
    this.#chars += chars;
  }

  /** Forgets what `fullKey` was seen with. */
  forget(fullKey: string): void {
    if (this.#hints.size === 0) return;
    const held = this.#hints.get(fullKey);
    if (held === undefined) return;
    this.#hints.delete(fullKey);
    this.#chars -= charsOf(fullKey, held);
  }
}

function charsOf(fullKey: string, keys: readonly string[]): number {
  let chars = fullKey.length + ENTRY_CHARS;
  for (const key of keys) chars += key.length + ENTRY_CHARS;
  return chars;
}
