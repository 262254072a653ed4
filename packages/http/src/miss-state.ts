import type { Entry, Lead, TagVersions } from '@larder/core';
import type { CacheRule } from './cache-rule.js';
import type { FinishedResponse, HttpAdapter } from './http-adapter.js';
import { HOST_VARIANT, refusalOf, type Refusal } from './http-rules.js';
import type { BypassReason, ViewRouteStats } from './route-stats.js';
import type { RefreshWrites } from './view-refresh.js';
import { VaryMarker, type CachedResponse } from './stored-view.js';

// The response cache's per-request state and its small rules: what a miss holds while its
// handler runs, what a page's flight settles with, and whom a stored page may be served to.

/**
 * What a page's flight settles with, for the requests that waited on it: the page (read at its
 * place, or the leader's response with where it was stored), or LOOK_AGAIN.
 */
export interface Landing {
  entry: CachedResponse;
  /** The page was read past its ttl (within grace). */
  stale: boolean;
  /** The Vary list the response was stored under, with its generation; undefined without Vary. */
  marker: VaryMarker | undefined;
  /** The leader's values of the marker's headers (JSON), which a waiter's must equal. */
  values: string | undefined;
  /** What the leader read at the key (see MissState), for a waiter that runs the handler itself. */
  owner: CachedResponse | undefined;
  hostVariant: boolean;
}

/** A page's flight found the page stored by another process (under its lock): read it again. */
export const LOOK_AGAIN = Symbol('look again');

/** A revalidation (freshness from the response) stored what it got: read the page again and answer with it, fresh or not. */
export const REVALIDATED = Symbol('revalidated');

export type Landed = Landing | typeof LOOK_AGAIN | typeof REVALIDATED;

/** A request that missed and runs the handler: where it stores and, when it leads, the flight it settles. */
export interface MissState {
  /** The route's key for the request (the Vary list or the response lives there). */
  key: string;
  /** The Vary list read at `key`, if any. */
  marker: VaryMarker | undefined;
  /** The response read at `key` when it is another audience's: this one's is stored under a variant of it. */
  owner: CachedResponse | undefined;
  /** True when the audience must be part of the variant (another audience's response was found). */
  hostVariant: boolean;
  /** The Host and route the response is for (see `audienceOf`). */
  host: string;
  /** The route's rule. */
  rule: CacheRule<object>;
  /** A HEAD request: it runs the handler but stores nothing (its response may carry no body). */
  head: boolean;
  /** The page's flight when this request leads it (core's engine: single-flight, lock, lease). */
  lead: Lead<Landed> | undefined;
  /** For a refresh request: where its writes go, so the refresh can wait for them. */
  refreshWrites: RefreshWrites | undefined;
  /**
   * The page's tags and their versions, read when the request missed (before its handler ran), so
   * an invalidation while the handler runs makes the stored page a miss; undefined without tags.
   * Resolves to undefined when they cannot be read (the page is then not stored).
   */
  tagged?: { tags: readonly string[]; versions: Promise<TagVersions | undefined> } | undefined;
  /** Why the page must not be stored, found before the handler ran (its tags function threw). */
  unstorable?: Refusal | undefined;
  /** For a revalidation (freshness from the response): the stored response it revalidates, which a 304 updates. */
  validating?: CachedResponse | undefined;
  /** Set once the flight was let go, or handed to the store: nothing more to release. */
  closed?: boolean;
}

/** `#answer` has no read of the key to start from. */
export const NOT_READ = Symbol('not read');

/** A stored response or Vary list as read, and whether it is past its ttl (within grace). */
export interface ViewRead {
  view: CachedResponse | VaryMarker;
  stale: boolean;
}

/** Where a request's page lives: the key, or a variant of what the key holds. */
export interface Place {
  /** The audience (see `audienceOf`). */
  host: string;
  lookup: string;
  marker: VaryMarker | undefined;
  owner: CachedResponse | undefined;
  hostVariant: boolean;
  /** What was read at `lookup` when it is the key. */
  read: ViewRead | undefined;
}

/** The variant list of a page stored for another audience than the one at the key. */
export const HOST_ONLY: readonly string[] = Object.freeze([HOST_VARIANT]);

/**
 * Whom a stored response may be served to: the Host and, when the adapter names it, the route.
 * A Host never holds a NUL (Node refuses it in a header), so the pair reads one way only.
 */
export function audienceOf(host: string, route: string): string {
  return route === '' ? host : `${host}\u0000${route}`;
}

/** True when `audience` is `audienceOf(host, route)`, without making that string (a hit's check). */
export function isAudience(audience: string, host: string, route: string): boolean {
  if (route === '') return audience === host;
  return audience.length === host.length + 1 + route.length && audience.startsWith(host) && audience.charCodeAt(host.length) === 0 && audience.endsWith(route);
}

/** Why a finished response cannot be stored, or undefined when it can (see `refusalOf`). */
export function whyNotCacheable(finished: FinishedResponse, statusCodes: ReadonlySet<number>): Refusal | undefined {
  const refused = refusalOf(finished.status, (name) => finished.headers[name], statusCodes);
  if (refused !== undefined) return refused;
  if (finished.body === undefined) return { reason: 'stream', detail: 'the body is a stream, or was too large to collect' };
  return undefined;
}

/** Lets a miss's flight go (its waiters and lock), once (a miss handed to the store is closed already: the store settles it). */
export function release(state: MissState): void {
  if (state.closed) return;
  state.closed = true;
  state.lead?.abandon();
}

/** Skips the cache for this request: the handler runs and its response is not stored. */
export function bypass<Req extends object, Res>(adapter: HttpAdapter<Req, Res>, response: Res, stats: ViewRouteStats, reason: BypassReason): false {
  stats.bypasses++;
  stats.bypassed[reason] = (stats.bypassed[reason] ?? 0) + 1;
  adapter.setHeader(response, 'x-cache', 'BYPASS');
  return false;
}

export const NONE: Entry<never> = Object.freeze({ kind: 'none' });
export const FOUND_AGAIN: Entry<Landed> = Object.freeze({ kind: 'fresh', value: LOOK_AGAIN });

/** A page as read, as its flight's entry. */
export function toEntry(read: ViewRead | undefined): Entry<Landed> {
  const view = read?.view;
  if (view === undefined || view instanceof VaryMarker) return NONE;
  const landing: Landing = { entry: view, stale: read!.stale, marker: undefined, values: undefined, owner: undefined, hostVariant: false };
  return { kind: read!.stale ? 'stale' : 'fresh', value: landing };
}
