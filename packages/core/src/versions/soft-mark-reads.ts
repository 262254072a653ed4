import type { Backend } from '../types/backend.js';
import { parseSoftMark, softMarkKey, type SoftMark } from './soft-marks.js';

// Markers remembered at most (only a softened tag's counter has one, for its grace).
const MAX_KNOWN = 1_000;

/**
 * Reads the soft markers of tag counters (one getMany), remembering a marker found for
 * `checkIntervalMs` as counters are. Only markers found are remembered: a marker can only say
 * "stale" for the exact counter value its bump made, so a remembered one never outlives a later
 * bump; an absent one is read again (it may be written a moment after its counter's bump).
 */
export class SoftMarkReads {
  readonly #backend: Backend;
  readonly #checkIntervalMs: number;
  readonly #known = new Map<string, { readonly mark: SoftMark; readonly readAt: number }>();

  constructor(backend: Backend, checkIntervalMs: number) {
    this.#backend = backend;
    this.#checkIntervalMs = checkIntervalMs;
  }

  /** The markers of the counters at `counterKeys`, by counter key (absent ones left out). Rejects on backend failure. */
  async read(counterKeys: readonly string[]): Promise<Map<string, SoftMark>> {
    const now = Date.now();
    const marks = new Map<string, SoftMark>();
    const unknown: string[] = [];
    for (const key of counterKeys) {
      const known = this.#known.get(key);
      if (known !== undefined && now - known.readAt < this.#checkIntervalMs) marks.set(key, known.mark);
      else unknown.push(key);
    }
    if (unknown.length === 0) return marks;
    const found = await this.#backend.getMany(unknown.map(softMarkKey));
    for (const key of unknown) {
      const mark = parseSoftMark(found.get(softMarkKey(key)));
      if (mark === undefined) continue;
      marks.set(key, mark);
      if (this.#checkIntervalMs === 0) continue;
      this.#known.delete(key);
      if (this.#known.size >= MAX_KNOWN) this.#known.delete(this.#known.keys().next().value!);
      this.#known.set(key, { mark, readAt: now });
    }
    return marks;
  }
}
