import { parseDurationOption, type Duration } from '../../duration.js';
import { InvalidOptionError, LarderError, type LarderErrorCode } from '../../errors.js';
import { OptionNames } from '../../option-names.js';
import type { Backend, BackendCapabilities, CasItem, StoredItem } from '../../types/backend.js';
import { count } from './memcached-options.js';

/** Options of a RetryingBackend (pymemcache's RetryingClient). */
export interface RetryOptions {
  /** Attempts in all, the first included (default 2). */
  attempts?: number;
  /** Milliseconds (or `'100ms'`) between attempts (default 50). */
  delay?: Duration;
  /** Error codes worth another attempt (default E_TIMEOUT, E_CONNECTION, E_NODE_DEAD). */
  retryOn?: readonly LarderErrorCode[];
}

const RETRY_OPTION_NAMES = new OptionNames('RetryingBackend', ['attempts', 'delay', 'retryOn']);

/**
 * A backend whose failed calls are tried again, as the caller asks. Calls that are safe to
 * repeat (reads, set, setMany, delete, deleteMany, touch, flush) are retried on the listed
 * errors. add, replace, cas, incr and decr may have landed when their answer was lost (a
 * timeout, a reset): retrying could count twice or report a false conflict, so they are retried
 * only when the request provably never left (E_NODE_DEAD, or a connection that was refused).
 */
export class RetryingBackend implements Backend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  readonly #backend: Backend;
  readonly #attempts: number;
  readonly #delay: number;
  readonly #retryOn: ReadonlySet<string>;

  constructor(backend: Backend, options: RetryOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'RetryingBackend takes an options object');
    RETRY_OPTION_NAMES.check(options);
    if (options.retryOn !== undefined && !Array.isArray(options.retryOn)) throw new InvalidOptionError('retryOn', 'must be an array of error codes');
    this.#backend = backend;
    this.#attempts = count('attempts', options.attempts ?? 2, 1);
    this.#delay = options.delay === undefined ? 50 : parseDurationOption('delay', options.delay, 'ms');
    this.#retryOn = new Set(options.retryOn ?? ['E_TIMEOUT', 'E_CONNECTION', 'E_NODE_DEAD']);
    this.name = `retrying(${backend.name})`;
    this.capabilities = backend.capabilities;
  }

  connect(): Promise<void> { return this.#run(true, () => this.#backend.connect()); }
  get(key: string): Promise<StoredItem | undefined> { return this.#run(true, () => this.#backend.get(key)); }
  getMany(keys: readonly string[]): Promise<Map<string, StoredItem>> { return this.#run(true, () => this.#backend.getMany(keys)); }
  gets(key: string): Promise<CasItem | undefined> { return this.#run(true, () => this.#backend.gets(key)); }
  set(key: string, item: StoredItem, ttl: number): Promise<boolean> { return this.#run(true, () => this.#backend.set(key, item, ttl)); }
  setMany(entries: ReadonlyArray<readonly [string, StoredItem]>, ttl: number): Promise<string[]> { return this.#run(true, () => this.#backend.setMany(entries, ttl)); }
  delete(key: string): Promise<boolean> { return this.#run(true, () => this.#backend.delete(key)); }
  deleteMany(keys: readonly string[]): Promise<string[]> { return this.#run(true, () => this.#backend.deleteMany(keys)); }
  touch(key: string, ttl: number): Promise<boolean> { return this.#run(true, () => this.#backend.touch(key, ttl)); }
  flush(): Promise<void> { return this.#run(true, () => this.#backend.flush()); }
  add(key: string, item: StoredItem, ttl: number): Promise<boolean> { return this.#run(false, () => this.#backend.add(key, item, ttl)); }
  replace(key: string, item: StoredItem, ttl: number): Promise<boolean> { return this.#run(false, () => this.#backend.replace(key, item, ttl)); }
  cas(key: string, item: StoredItem, cas: bigint, ttl: number): Promise<boolean | undefined> { return this.#run(false, () => this.#backend.cas(key, item, cas, ttl)); }
  incr(key: string, delta: bigint): Promise<bigint | undefined> { return this.#run(false, () => this.#backend.incr(key, delta)); }
  decr(key: string, delta: bigint): Promise<bigint | undefined> { return this.#run(false, () => this.#backend.decr(key, delta)); }
  close(): Promise<void> { return this.#backend.close(); }

  async #run<T>(idempotent: boolean, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= this.#attempts || !this.#worthRetrying(error, idempotent)) throw error;
        if (this.#delay > 0) await new Promise((resolve) => setTimeout(resolve, this.#delay));
      }
    }
  }

  #worthRetrying(error: unknown, idempotent: boolean): boolean {
    if (!(error instanceof LarderError) || !this.#retryOn.has(error.code)) return false;
    return idempotent || neverSent(error);
  }
}

/** True when the request cannot have reached memcached: no node was tried, or the connection was refused. */
function neverSent(error: LarderError): boolean {
  if (error.code === 'E_NODE_DEAD') return true;
  const cause = error.cause as { code?: unknown } | undefined;
  return error.code === 'E_CONNECTION' && cause?.code === 'ECONNREFUSED';
}
