import type { FinishedResponse, RequestLogger } from './http-adapter.js';
import { isNotStorable, responseFreshness, type FreshnessOptions } from './freshness.js';
import { refusalOf, varyHeaderNames, type NotStoredReason, type Refusal } from './http-rules.js';
import type { ViewRouteStats } from './route-stats.js';
import type { SentHead } from './sent-head.js';

/**
 * Why the response that went on the wire may not be stored although the one the handler made
 * could (`finished` passed `refusalOf`): a middleware changed it inside writeHead. A Set-Cookie,
 * a Cache-Control, `Vary: *` or another status added there refuses it, as it would have from the
 * handler; so does a Vary name added there, since the entry would be shared across values of that
 * header. One exception: `Vary: Accept-Encoding` from a compressor downstream of the cache, which
 * compresses hits as it compressed the miss (what was collected is the body before it).
 * `byResponse` (freshness from the response): RFC 9111's rules judge the wire's headers instead.
 */
export function refusalOnWire(finished: FinishedResponse, head: SentHead | undefined, statusCodes: ReadonlySet<number>, byResponse?: FreshnessOptions): Refusal | undefined {
  if (head === undefined) return { reason: 'not-sent', detail: 'its headers were never sent (writeHead threw)' };
  const refused = refusalOf(head.status, (name) => head.header(name), statusCodes, byResponse !== undefined);
  if (refused !== undefined) return { reason: refused.reason, detail: `${refused.detail}, set after the handler by a middleware` };
  if (byResponse) {
    const judged = responseFreshness(head.status, (name) => head.header(name), Date.now(), byResponse);
    if (isNotStorable(judged)) return { reason: 'cache-control', detail: `${judged.notStorable}, set after the handler by a middleware` };
  }
  const before = varyHeaderNames(finished.headers.vary);
  const after = varyHeaderNames(head.header('vary'));
  if (before === '*' || after === '*') return undefined;
  const compressedDownstream = finished.headers['content-encoding'] === undefined;
  const added = after.filter((name) => !before.includes(name) && !(name === 'accept-encoding' && compressedDownstream));
  if (added.length > 0) return { reason: 'late-vary', detail: `a middleware added Vary: ${added.join(', ')} after the handler` };
  return undefined;
}

const HINTS: Partial<Record<NotStoredReason, string>> = {
  'set-cookie': ' (a page that sets a cookie is per visitor; with express-session, saveUninitialized: true gives every first visit a cookie: use false, as its documentation advises for login sessions)',
};

/**
 * Counts responses not stored per route and reason (`viewCacheStats().notStored`) and says so once
 * per route and reason, never once per request: a page that is never stored is a mistake to hear
 * about, not a line per request.
 */
export class NotStoredNotices {
  readonly #said = new WeakMap<ViewRouteStats, Set<NotStoredReason>>();

  /** Counts `refusal` for the route of `stats`, logging it the first time this route has this reason. */
  record(stats: ViewRouteStats, refusal: Refusal, log: RequestLogger): void {
    stats.notStored[refusal.reason] = (stats.notStored[refusal.reason] ?? 0) + 1;
    let said = this.#said.get(stats);
    if (said === undefined) this.#said.set(stats, (said = new Set()));
    if (said.has(refusal.reason)) return;
    said.add(refusal.reason);
    log.warn({ err: undefined }, `larder: responses of ${stats.route} are not stored: ${refusal.detail}${HINTS[refusal.reason] ?? ''}; said once per route and reason, counted in viewCacheStats()`);
  }
}
