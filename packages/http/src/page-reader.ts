import { FailureLog, type CacheLogger, type DecodedFlights } from '@larder/core';
import type { HttpAdapter } from './http-adapter.js';
import type { ViewRead } from './miss-state.js';
import { MalformedView, VaryMarker, type CachedResponse, type StoredView } from './stored-view.js';

/**
 * Reads stored pages for a response cache: what is at a key as a ViewRead, and what a stored
 * value in Larder's format that cannot be used (forged, corrupt, or of a status the route does not
 * store) becomes: a miss, counted and logged once per 10 s burst.
 */
export class PageReader<Req extends object, Res> {
  readonly #flights: DecodedFlights<StoredView | MalformedView | undefined>;
  readonly #adapter: HttpAdapter<Req, Res>;
  readonly #malformedLog: FailureLog;
  #malformed = 0;

  constructor(flights: DecodedFlights<StoredView | MalformedView | undefined>, adapter: HttpAdapter<Req, Res>, logger: CacheLogger | undefined) {
    this.#flights = flights;
    this.#adapter = adapter;
    this.#malformedLog = new FailureLog(logger ?? { warn: () => {} }, 10_000, Date.now, 'larder response cache');
  }

  /** Stored values read that were in Larder's format but unusable, each a miss. */
  get malformed(): number {
    return this.#malformed;
  }

  /**
   * The stored response or Vary list at `key`; undefined when absent, unreadable or neither.
   * `stale`: past its ttl, within grace.
   */
  async read(key: string, request: Req, statusCodes: ReadonlySet<number>): Promise<ViewRead | undefined> {
    let view: CachedResponse | VaryMarker | MalformedView | undefined;
    let stale = false;
    try {
      const entry = await this.#flights.read(key);
      view = entry?.value;
      stale = entry?.stale ?? false;
    } catch (error) {
      this.#adapter.log(request).warn({ err: error }, 'larder: response cache read failed; running the handler');
      return undefined;
    }
    return view === undefined ? undefined : this.usable(view, stale, request, statusCodes);
  }

  /** A decoded stored value as a ViewRead, or undefined (counted and logged) when it is unusable or of a status the route does not store. */
  usable(view: CachedResponse | VaryMarker | MalformedView, stale: boolean, request: Req, statusCodes: ReadonlySet<number>): ViewRead | undefined {
    if (!(view instanceof VaryMarker) && !(view instanceof MalformedView) && !statusCodes.has(view.status)) {
      view = new MalformedView(`status ${view.status}, which the route does not store`);
    }
    if (!(view instanceof MalformedView)) return { view, stale };
    this.#malformed++;
    this.#malformedLog.record(`a stored response of ${this.#adapter.route(request) || 'a route'} is unusable (${view.reason}); running the handler`);
    return undefined;
  }
}
