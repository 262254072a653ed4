import type { NotStoredReason } from './http-rules.js';

/** Why a request passed the cache by, as counted per route in `viewCacheStats()` (`bypassed`). */
export type BypassReason = 'credentials' | 'session' | 'request-body';

/** What the view cache did for one cached route since the app started, by `x-cache` answer. */
export interface ViewRouteStats {
  /** The route as registered, `GET /products/:id` (a pattern, never a URL: its number is bounded). */
  readonly route: string;
  /** Answered from the cache. */
  hits: number;
  /** Ran the handler (and stored the response when it could). */
  misses: number;
  /** Answered with a stale page while it is refreshed. */
  stale: number;
  /** Passed by (credentials, a session, a request body). */
  bypasses: number;
  /** Of the hits and stale answers, those that were a 304 without a body (the client held the page). */
  notModified: number;
  /** Of the misses, those whose response was not stored, by reason (`'set-cookie': 3`); HEAD misses, which never store, are not counted. */
  notStored: Partial<Record<NotStoredReason, number>>;
  /** The bypasses by reason (`credentials: 2`). */
  bypassed: Partial<Record<BypassReason, number>>;
}

/** The counters of every cached route of one app, in registration order. */
export class ViewStatsTable {
  readonly #routes: ViewRouteStats[] = [];

  /** A new row for `route`, counted by its hooks. */
  add(route: string): ViewRouteStats {
    const row: ViewRouteStats = { route, hits: 0, misses: 0, stale: 0, bypasses: 0, notModified: 0, notStored: {}, bypassed: {} };
    this.#routes.push(row);
    return row;
  }

  /** A snapshot of every row. */
  snapshot(): ViewRouteStats[] {
    return this.#routes.map((row) => ({ ...row, notStored: { ...row.notStored }, bypassed: { ...row.bypassed } }));
  }
}
