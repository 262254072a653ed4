import type { Cache, CacheErrorEvent } from '@larder/core';

/** What a cache call gave: its result, and the failure the cache reported for it, if any. */
export interface CallOutcome<T> {
  /** The call's result; undefined when it threw. */
  readonly value: T | undefined;
  /** The error the call threw, or the one the cache emitted for this operation and key meanwhile. */
  readonly error: Error | undefined;
}

interface Watch {
  readonly operation: string;
  readonly key: string;
  error: Error | undefined;
}

/**
 * Tells a cache call's "no" from its failure. Under the ignore-errors policy `get` gives
 * undefined and `delete`/`touch` give false both when the key is absent and when the backend
 * failed; the failure is only emitted as an `error` event, which this matches to the call by
 * operation and key while the call runs. Calls that throw (a cache with `ignoreErrors: false`,
 * or a value too large) are caught here too.
 */
export class FailureWatch {
  readonly #watches = new Set<Watch>();
  readonly #unsubscribe: () => void;

  constructor(cache: Cache) {
    this.#unsubscribe = cache.on('error', (event) => this.#onError(event));
  }

  /** Runs `call`, the cache's `operation` on `key`, and reports its result and failure. */
  async run<T>(operation: string, key: string, call: () => Promise<T>): Promise<CallOutcome<T>> {
    const watch: Watch = { operation, key, error: undefined };
    this.#watches.add(watch);
    try {
      const value = await call();
      return { value, error: watch.error };
    } catch (error) {
      return { value: undefined, error: error instanceof Error ? error : new Error(String(error)) };
    } finally {
      this.#watches.delete(watch);
    }
  }

  /** Stops listening to the cache. */
  dispose(): void {
    this.#unsubscribe();
    this.#watches.clear();
  }

  #onError(event: CacheErrorEvent): void {
    for (const watch of this.#watches) {
      if (watch.error === undefined && watch.operation === event.operation && watch.key === event.key) watch.error = event.error;
    }
  }
}
