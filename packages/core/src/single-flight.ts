/** Runs at most one task per key at a time; callers that arrive meanwhile share its outcome. */
export class SingleFlight {
  readonly #inFlight = new Map<string, Promise<unknown>>();

  /** Runs `task` unless one for `key` is already running, then returns that one's promise. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(key);
    if (running) return running as Promise<T>;
    const started = task().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }

  /** True when a task for `key` is running. */
  has(key: string): boolean {
    return this.#inFlight.has(key);
  }

  /** How many keys have a task running. */
  get size(): number {
    return this.#inFlight.size;
  }
}
