import { InvalidOptionError } from './errors.js';

/** Where a Cache writes its warnings (pino, console, or Fastify's `app.log` all fit). */
export interface CacheLogger {
  warn(message: string): void;
}

/**
 * Logs a failure once per burst: the first failure is logged at once, the ones that follow
 * within `intervalMs` are only counted, and the next log line says how many were held back.
 */
export class FailureLog {
  readonly #logger: CacheLogger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #label: string;
  #lastLoggedAt = -Infinity;
  #suppressed = 0;

  /** `label` starts every line (default `larder`), so a reader knows which part of Larder speaks. */
  constructor(logger: CacheLogger, intervalMs: number, now: () => number = Date.now, label = 'larder') {
    if (logger === null || typeof logger !== 'object' || typeof logger.warn !== 'function') {
      throw new InvalidOptionError('logger', 'must have a warn(message) method');
    }
    if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new InvalidOptionError('intervalMs', `must be a number of milliseconds, 0 or more, got ${typeof intervalMs === 'number' ? intervalMs : typeof intervalMs}`);
    }
    this.#logger = logger;
    this.#label = label;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Records one failure; logs it when the last log line is older than the interval. */
  record(message: string): void {
    const now = this.#now();
    if (now - this.#lastLoggedAt < this.#intervalMs) {
      this.#suppressed++;
      return;
    }
    const held = this.#suppressed > 0 ? ` (${this.#suppressed} similar failures not logged since the last line)` : '';
    this.#suppressed = 0;
    this.#lastLoggedAt = now;
    this.#logger.warn(`${this.#label}: ${message}${held}`);
  }
}
