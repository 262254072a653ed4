/**
 * One timer for many deadlines: `arm(deadline)` makes it fire by then (never later than the
 * earliest deadline asked for), and `onFire` is then told to fail what is due and arm the next.
 * Calls that are answered in time never touch it. It does not keep the process alive.
 */
export class DeadlineTimer {
  readonly #onFire: () => void;
  #timer: NodeJS.Timeout | undefined;
  #at = 0;

  /** `onFire` runs once I/O that was already waiting has been read (see `arm`). */
  constructor(onFire: () => void) {
    this.#onFire = onFire;
  }

  /** Makes the timer fire by `deadline` (a performance.now() time). */
  arm(deadline: number): void {
    if (this.#timer !== undefined && this.#at <= deadline) return;
    clearTimeout(this.#timer);
    this.#at = deadline;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Timers run before the poll phase: after the event loop was blocked (a GC pause, a
      // synchronous handler), answers may already sit in the socket, unread. Let one round of
      // I/O run before calling anything a timeout; an answer that arrived is not a failure.
      setImmediate(this.#onFire);
    }, Math.max(1, Math.ceil(deadline - performance.now())));
    this.#timer.unref();
  }

  /** Stops it for good. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
