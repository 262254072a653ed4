import type { CacheRule } from './cache-rule.js';
import { captureResponse, storedHeaders } from './capture.js';
import { isNotStorable, responseFreshness, type FreshnessOptions } from './freshness.js';
import type { FinishedResponse, HttpAdapter } from './http-adapter.js';
import type { InjectedResponse } from './view-refresh.js';
import { refusalOf, type Refusal } from './http-rules.js';
import { selects, updatedHeaders } from './revalidation.js';
import { toStoredFreshness } from './stored-freshness.js';
import type { CachedResponse } from './stored-view.js';

// The response cache's `freshness: 'response'` mode at the moment a response arrives: what is
// stored (RFC 9111 3.1: not the hop-by-hop fields, nor those the Connection header names) and
// with what freshness; and a stored response updated by the 304 that revalidated it (4.3.4).

/** Fields that belong to one connection (RFC 9110 7.6.1), never stored. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authentication-info', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** A response to store, with the headers the cache adds to it (to set on the miss too). */
export interface Captured {
  readonly entry: CachedResponse;
  readonly added: Readonly<Record<string, string>>;
}

/**
 * The stored form of a handler's response in `freshness: 'response'` mode, received at `now`, or
 * why it may not be stored: statuses and cookies as in `ttl` mode, then RFC 9111's rules
 * (`responseFreshness`); `authorized`: the request sent Authorization.
 */
export function captureByResponse(rule: CacheRule<object>, finished: FinishedResponse, audience: string, now: number, authorized: boolean, tags: readonly string[] | undefined): Captured | Refusal {
  const header = (name: string) => finished.headers[name];
  const refused = refusalOf(finished.status, header, rule.statusCodes, true);
  if (refused !== undefined) return refused;
  if (finished.body === undefined) return { reason: 'stream', detail: 'the body is a stream, or was too large to collect' };
  const freshness = responseFreshness(finished.status, header, now, { ...freshnessOptions(rule), authorized });
  if (isNotStorable(freshness)) return { reason: 'cache-control', detail: freshness.notStorable };
  const added = storedHeaders(rule, finished, now, 0, tags);
  const entry = captureResponse(finished, added, audience, now);
  entry.headers = withoutHopByHop(entry.headers, finished.headers.connection);
  entry.freshness = toStoredFreshness(freshness, now, dateOf(finished.headers.date));
  return { entry, added };
}

/**
 * `stored` updated by a 304 with `headers` received at `now` (RFC 9111 4.3.4): its fields replace
 * the stored ones (not the body's own: Content-Length, Content-Encoding, ETag...), and freshness
 * is worked out again from the result; undefined when the 304 does not select it; a Refusal when
 * the updated response may no longer be stored (`authorized`: the revalidation sent Authorization).
 */
export function revalidatedEntry(rule: CacheRule<object>, stored: CachedResponse, headers: Readonly<Record<string, unknown>>, now: number, authorized: boolean): CachedResponse | Refusal | undefined {
  if (!selects(stored, headers)) return undefined;
  const updated = withoutHopByHop(updatedHeaders(stored, headers), headers.connection);
  // The updated response is judged as a new one would be: a 304 that adds Vary: * leaves nothing to share.
  const refused = refusalOf(stored.status, (name) => updated[name], rule.statusCodes, true);
  if (refused !== undefined) return { reason: refused.reason, detail: `${refused.detail}, after a 304` };
  // The 304's Date and Age date the updated response; the stored ones stand for the old one.
  const lookup = (name: string): unknown => (name === 'date' ? headers.date : name === 'age' ? headers.age : updated[name]);
  const freshness = responseFreshness(stored.status, lookup, now, { ...freshnessOptions(rule), authorized });
  if (isNotStorable(freshness)) return { reason: 'cache-control', detail: `${freshness.notStorable}, after a 304` };
  return { ...stored, generation: '', storedAt: now, headers: updated, freshness: toStoredFreshness(freshness, now, dateOf(headers.date)) };
}

/** How a route's rule has responses judged (see FreshnessOptions). */
export function freshnessOptions(rule: CacheRule<object>): FreshnessOptions {
  return { heuristic: rule.heuristic, surrogate: rule.surrogateControl };
}

/** `headers` without the hop-by-hop fields and those its Connection header names. */
function withoutHopByHop(headers: Record<string, string | string[]>, connection: unknown): Record<string, string | string[]> {
  const named = new Set(HOP_BY_HOP);
  if (connection !== undefined) for (const name of String(connection).split(',')) named.add(name.trim().toLowerCase());
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (!named.has(name.toLowerCase())) kept[name] = value;
  return kept;
}

/** A single Date header value that Node can send as is, else undefined (the time stored stands in). */
function dateOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^[\x20-\x7e]{1,64}$/.test(value)) return undefined;
  return value;
}

/** True for a Refusal (not a stored response). */
export function isRefusal(value: Captured | CachedResponse | Refusal): value is Refusal {
  return 'reason' in value && 'detail' in value;
}

/** Headers of an injected response that belong to its transmission. */
const PASS_ON_DROPPED: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'x-cache', 'age']);
const NO_BODY_STATUSES: ReadonlySet<number> = new Set([204, 304]);

/**
 * Sends `injected`, the response a revalidation got and did not store, as this request's answer
 * (`x-cache: MISS`), when the injector gave it whole (Fastify's inject does); false otherwise.
 */
export function passOn<Req extends object, Res>(adapter: HttpAdapter<Req, Res>, response: Res, injected: InjectedResponse): boolean {
  const { statusCode, headers, rawPayload } = injected;
  if (headers === undefined || rawPayload === undefined) return false;
  const sent: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !PASS_ON_DROPPED.has(name.toLowerCase())) sent[name] = typeof value === 'number' ? String(value) : value;
  }
  adapter.send(response, statusCode, sent, NO_BODY_STATUSES.has(statusCode) ? undefined : rawPayload, 'MISS', String(ageSecondsOf(headers.age)));
  return true;
}

/** The Age an injected response carried, seconds (0 when none or unreadable). */
function ageSecondsOf(value: unknown): number {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}
