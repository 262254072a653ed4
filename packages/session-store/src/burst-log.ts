import type { CacheLogger } from '@larder/core';

/**
 * Logs a kind of failure once per burst: the first one at once, the ones within `intervalMs`
 * after it only counted, and the next line says how many were held back.
 */
export class BurstLog {
  readonly #logger: CacheLogger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #lastLoggedAt = -Infinity;
  #held = 0;

  constructor(logger: CacheLogger, intervalMs: number, now: () => number = Date.now) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Records one failure; writes `message` when the last line of this log is older than the interval. */
  record(message: string): void {
    const now = this.#now();
    if (now - this.#lastLoggedAt < this.#intervalMs) {
      this.#held++;
      return;
    }
    const held = this.#held > 0 ? ` (${this.#held} more since the last line)` : '';
    this.#held = 0;
    this.#lastLoggedAt = now;
    this.#logger.warn(`larder-session: ${message}${held}`);
  }
}
