/** Emitted when a backend call fails or a stored value cannot be decoded. */
export interface CacheErrorEvent {
  /** The operation that failed: `get` (also for `read`), `set` (`write`), `delete` (`remove`), `touch` (`extend`), `getMany`... */
  readonly operation: string;
  /** The caller's key, when the operation had one. */
  readonly key?: string;
  /** The typed error (a LarderError subclass). */
  readonly error: Error;
}

/** Emitted on every read that found (`hit`) or did not find (`miss`) a value. */
export interface CacheKeyEvent {
  /** The caller's key. */
  readonly key: string;
}

/** Emitted when a stale value (past its ttl, within grace) is served. */
export interface CacheStaleEvent {
  /** The caller's key. */
  readonly key: string;
  /** `expired` (served while one caller refreshes), `error` (the refresh failed), `timeout` (the refresh outlasted `timeout.soft`). */
  readonly reason: 'expired' | 'error' | 'timeout';
}

/** Emitted after each backend call of a read (`get`, `getMany`) or a write (`set`; `add` or `replace` of `writeIf`), when someone listens. */
export interface CacheBackendEvent {
  /** The backend operation. */
  readonly operation: 'get' | 'getMany' | 'set' | 'add' | 'replace';
  /** How long it took, in milliseconds. */
  readonly ms: number;
  /** False when it failed. */
  readonly ok: boolean;
}

/** Emitted when a getOrSet factory (memoize, a fragment) settles, when someone listens. */
export interface CacheRecomputeEvent {
  /** The caller's key. */
  readonly key: string;
  /** How long the factory ran, in milliseconds. */
  readonly ms: number;
  /** False when it threw or timed out. */
  readonly ok: boolean;
}

/** The events a Cache emits. */
export interface CacheEvents {
  error: CacheErrorEvent;
  hit: CacheKeyEvent;
  miss: CacheKeyEvent;
  stale: CacheStaleEvent;
  /** A read answered from the near cache (a `hit` is emitted too). */
  'near-hit': CacheKeyEvent;
  /** A read that looked in the near cache and went to the backend. */
  'near-miss': CacheKeyEvent;
  /** A backend call's duration (only built when listened to). */
  backend: CacheBackendEvent;
  /** A factory's run time (only built when listened to). */
  recompute: CacheRecomputeEvent;
}

type Listener<T> = (event: T) => void;

/**
 * A small typed emitter. Unlike Node's EventEmitter, an `error` event with no listener is
 * not thrown: a cache failure must never crash the app that merely uses the cache.
 */
export class CacheEventEmitter {
  readonly #listeners: { [K in keyof CacheEvents]?: Array<Listener<CacheEvents[K]>> } = {};

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof CacheEvents>(name: K, listener: Listener<CacheEvents[K]>): () => void {
    const list = (this.#listeners[name] ??= []) as Array<Listener<CacheEvents[K]>>;
    list.push(listener);
    return () => this.off(name, listener);
  }

  /** Removes a listener. */
  off<K extends keyof CacheEvents>(name: K, listener: Listener<CacheEvents[K]>): void {
    const list = this.#listeners[name] as Array<Listener<CacheEvents[K]>> | undefined;
    const at = list?.indexOf(listener) ?? -1;
    if (list && at >= 0) list.splice(at, 1);
  }

  /** True when someone listens to `name`, so hot paths can skip building events. */
  listens(name: keyof CacheEvents): boolean {
    return (this.#listeners[name]?.length ?? 0) > 0;
  }

  protected emit<K extends keyof CacheEvents>(name: K, event: CacheEvents[K]): void {
    const list = this.#listeners[name] as Array<Listener<CacheEvents[K]>> | undefined;
    if (!list) return;
    for (const listener of [...list]) {
      try {
        listener(event);
      } catch {
        // A throwing listener must not turn a cache read into a failure.
      }
    }
  }
}
