import { DecodeMemo, type Cache, type DecodedFlights, type Entry, type FlightSpec } from '@larder/core';
import type { CacheRule } from './cache-rule.js';
import { captureResponse, storedHeaders } from './capture.js';
import { replayResponse } from './replay.js';
import type { FinishedResponse, HttpAdapter } from './http-adapter.js';
import { appendVary, carriesBody, type RequestHeaders, hasCredentials, varyValues, type Refusal } from './http-rules.js';
import { NotStoredNotices, refusalOnWire } from './not-stored.js';
import type { SentHead } from './sent-head.js';
import { requestKey } from './request-key.js';
import { RefreshNotStored, ViewRefresher, type Injector, type RefreshWrites } from './view-refresh.js';
import { freshnessAction, withinStaleIfError } from './stored-freshness.js';
import { captureByResponse, freshnessOptions, isRefusal, passOn, revalidatedEntry } from './response-mode.js';
import { validatingHeaders } from './revalidation.js';
import { decodeStoredView, DEFAULT_MEMO_BYTES, DEFAULT_MEMO_ENTRY_BYTES, MalformedView, VaryMarker, type CachedResponse, type StoredView } from './stored-view.js';
import { variantKey } from './view-key.js';
import { PendingWrites } from './pending-writes.js';
import { PagePlacement } from './page-placement.js';
import { DEFAULT_PENDING_WRITE_BYTES, type ResponseCacheOptions } from './response-cache-options.js';
import { PageReader } from './page-reader.js';
import { audienceOf, bypass, FOUND_AGAIN, HOST_ONLY, isAudience, LOOK_AGAIN, NONE, REVALIDATED, NOT_READ, release, toEntry, whyNotCacheable, type Landed, type MissState, type Place, type ViewRead } from './miss-state.js';
export { audienceOf };
export type { ResponseCacheBounds, ResponseCacheOptions } from './response-cache-options.js';
/** A request that bypassed the cache because it carries a session: its response gets `Vary: Cookie`. */
const SESSION_BYPASS = Symbol('session bypass');

/**
 * Whole-response caching (Flask-Caching's `@cache.cached()`), for any framework through an
 * `HttpAdapter`: the adapter calls `begin` where the handler would run (after every hook that may
 * refuse the request, authentication too) and `finish` with the response the handler produced. A
 * hit is replayed by `begin` without the handler (with `Age`, and a 304 when the request's
 * `If-None-Match` / `If-Modified-Since` says the client has it); a miss runs the handler and
 * stores what it sent. A page is a flight of core's engine (Cache.flights): concurrent misses for
 * one page wait for the first one's response instead of running the handler again, a miss takes
 * the cluster's lock when the route asks, and a stale page is served while one refresh runs.
 *
 * Safety (see http-rules.ts): requests with credentials or a session bypass the cache unless the
 * route opts in; an entry is served only to requests of its audience, the Host it was stored for
 * and the route that answered it (so two routes that answer one normalised path never share an
 * entry); a response with `Vary` is stored per variant of the headers it names, its Vary list at
 * the route's key. HEAD requests are served from the entry GET stored and never store one (some
 * frameworks hand no body to a HEAD response).
 *
 * Audiences: the first one to store a page owns the route's key (Flask's key, one read per hit).
 * Another's response is stored under a variant of the owner's generation and its audience, so a
 * request with a foreign Host never disables caching for the real one; when Vary is involved the
 * audience joins the Vary list (`HOST_VARIANT`). Deleting the key orphans every variant.
 *
 * In-process state is bounded: the decode memo in bytes (a core `DecodeMemo`), the responses
 * waiting to be written in bytes (`maxPendingWriteBytes`: past it a response is sent but not
 * stored, so a slow memcached cannot make them pile up), the per-request states by the requests
 * in flight (an entry lives from a miss to its response).
 */
export class ResponseCache<Req extends object, Res> {
  readonly #cache: Cache;
  readonly #adapter: HttpAdapter<Req, Res>;
  readonly #states = new WeakMap<Req, MissState | typeof SESSION_BYPASS>();
  readonly #refresher: ViewRefresher;
  readonly #flights: DecodedFlights<StoredView | MalformedView | undefined>;
  readonly #placement: PagePlacement<Req, Res>;
  readonly #reader: PageReader<Req, Res>;
  readonly #memo: DecodeMemo<StoredView | MalformedView | undefined>;
  readonly #notices = new NotStoredNotices();

  /** A response cache over `cache`, seeing requests and responses through `adapter` (see ResponseCacheOptions). */
  constructor(cache: Cache, adapter: HttpAdapter<Req, Res>, options: ResponseCacheOptions = {}) {
    this.#cache = cache;
    this.#adapter = adapter;
    this.#refresher = new ViewRefresher(options.inject ?? noInjector);
    const bounds = options.bounds ?? {};
    this.#placement = new PagePlacement(new PendingWrites(cache, bounds.maxPendingWriteBytes ?? DEFAULT_PENDING_WRITE_BYTES), adapter, (rule) => this.#ttlOf(rule));
    this.#memo = new DecodeMemo(decodeStoredView, { maxBytes: bounds.maxBytes ?? DEFAULT_MEMO_BYTES, maxEntryBytes: bounds.maxEntryBytes ?? DEFAULT_MEMO_ENTRY_BYTES });
    this.#flights = cache.flights(this.#memo);
    this.#reader = new PageReader(this.#flights, adapter, options.logger);
  }

  /** Bytes the decode memo holds now (for tests and diagnostics). */
  get memoBytes(): number {
    return this.#memo.bytes;
  }

  /** Stored values read that were in Larder's format but unusable (forged, corrupt), each a miss (for tests and diagnostics). */
  get malformedEntries(): number {
    return this.#reader.malformed;
  }

  /**
   * Where the handler would run: answers from the cache (true: the response is sent, the handler
   * must not run) or lets the handler run (false), marking the request so that `finish` stores its
   * response. Synchronous when the answer is at hand (a fresh hit on the memory backend or the near
   * cache, a request the cache does not take); a promise otherwise. Rejects only when the cache
   * itself fails in a way reads do not absorb.
   */
  begin(rule: CacheRule<Req>, request: Req, response: Res): boolean | Promise<boolean> {
    const adapter = this.#adapter;
    const method = adapter.method(request);
    if (method !== 'GET' && method !== 'HEAD') return false;
    const headers = adapter.headers(request);
    // A refresh of a stale page: it runs the handler and stores whatever is at its key now.
    const refreshWrites = this.#refresher.claim(headers);
    if (rule.unless?.(request)) return false;
    // A GET with a body may be answered from it (express.json() fills req.body): never shared.
    if (carriesBody(headers)) return bypass(adapter, response, rule.stats, 'request-body');
    if (!rule.shareAuthorized && hasCredentials(headers)) return bypass(adapter, response, rule.stats, 'credentials');
    if (!rule.shareSessions && adapter.carriesSession(request)) {
      this.#states.set(request, SESSION_BYPASS);
      adapter.setHeader(response, 'vary', appendVary(adapter.getHeader(response, 'vary'), 'Cookie'));
      return bypass(adapter, response, rule.stats, 'session');
    }
    const key = requestKey(rule, request, adapter);
    if (key === undefined) return false;
    const hostName = adapter.host(request);
    const route = rule.pattern ?? adapter.route(request);
    let first: ViewRead | undefined | typeof NOT_READ = NOT_READ;
    if (refreshWrites === undefined) {
      const peeked = this.#flights.peek(key);
      if (peeked !== undefined) {
        // Counted as read once: a page not to serve is classified here as #reader.read would.
        const read = this.#reader.usable(peeked, false, request, rule.statusCodes);
        const view = read?.view;
        if (view !== undefined && !(view instanceof VaryMarker) && isAudience(view.audience, hostName, route) && (view.freshness === undefined || freshnessAction(view.freshness, Date.now()) === 'fresh')) {
          replayResponse(adapter, response, headers, view, 'HIT', rule.stats);
          return true;
        }
        first = read;
      }
    }
    return this.#answer(request, response, rule, key, audienceOf(hostName, route), method, refreshWrites, first);
  }

  /** True when `begin` let the handler run for `request` and `finish` has yet to see its response. */
  pending(request: Req): boolean {
    return this.#states.has(request);
  }

  /**
   * Called with the handler's response once its body is complete, before it is sent when the
   * framework allows: marks it `x-cache: MISS`, gives it the headers it is stored with (ETag,
   * Last-Modified, Cache-Control, Surrogate-Key, where the adapter can still set them), and stores
   * it in the background once its headers have gone on the wire and may still be stored there (a
   * middleware may add a Set-Cookie inside writeHead: see `refusalOnWire`). A request `begin` did
   * not mark is left alone.
   */
  finish(request: Req, response: Res, finished: FinishedResponse): void {
    const state = this.#states.get(request);
    if (state === undefined) return;
    this.#states.delete(request);
    const adapter = this.#adapter;
    if (state === SESSION_BYPASS) {
      // As Django's session middleware: whatever caches sit downstream, this page is per visitor.
      // Set in `begin` too, in case the headers go before the body ends; again here, after the handler.
      adapter.setHeader(response, 'vary', appendVary(adapter.getHeader(response, 'vary'), 'Cookie'));
      return;
    }
    state.rule.stats.misses++;
    try {
      this.#finishMiss(state, request, response, finished);
    } catch (error) {
      // Whatever happened (a header Node refused, a throw), the waiters and the lock are let go.
      release(state);
      throw error;
    }
  }

  /** The part of `finish` for a miss: refuses what may not be stored, else sets the headers it is stored with and waits for the wire. */
  #finishMiss(state: MissState, request: Req, response: Res, finished: FinishedResponse): void {
    const adapter = this.#adapter;
    const rule = state.rule;
    if (state.head) {
      adapter.log(request).debug(`larder: response of ${rule.stats.route} not cached: a HEAD response has no body to store`);
      return release(state);
    }
    if (rule.freshness === 'response') return this.#finishByResponse(state, request, response, finished);
    const refused = state.unstorable ?? whyNotCacheable(finished, rule.statusCodes);
    if (refused !== undefined) return this.#refuse(state, request, refused);
    const storedAt = Date.now();
    const added = storedHeaders(rule, finished, storedAt, this.#ttlOf(rule), state.tagged?.tags);
    for (const [name, value] of Object.entries(added)) adapter.setHeader(response, name, value);
    const entry = captureResponse(finished, added, state.host, storedAt);
    const retract: Record<string, string> = added['cache-control'] === undefined ? {} : { 'cache-control': added['cache-control'] };
    adapter.onHeadersSent(response, retract, (head) => this.#commit(state, request, finished, entry, head));
  }

  /**
   * `#finishMiss` with freshness from the response (RFC 9111): a 304 answering this process's
   * revalidation updates the stored response; an error answering it within stale-if-error leaves
   * the stale one; else the response is stored as the rules allow, with its freshness.
   */
  #finishByResponse(state: MissState, request: Req, response: Res, finished: FinishedResponse): void {
    const adapter = this.#adapter;
    const now = Date.now();
    const stored = state.validating;
    if (stored !== undefined && finished.status === 304) {
      const updated = revalidatedEntry(state.rule, stored, finished.headers, now, hasCredentials(adapter.headers(request)));
      if (updated === undefined) return this.#refuse(state, request, { reason: 'status', detail: 'a 304 that does not match the stored response' });
      if (isRefusal(updated)) return this.#refuse(state, request, updated);
      try {
        this.#placement.keep(state, request, updated, updated.headers.vary);
        state.closed = true;
      } finally {
        release(state);
      }
      return;
    }
    if (stored?.freshness !== undefined && STALE_IF_ERROR_STATUSES.has(finished.status) && withinStaleIfError(stored.freshness, now)) {
      return this.#refuse(state, request, { reason: 'status', detail: `status ${finished.status} while revalidating, within stale-if-error` });
    }
    if (state.unstorable !== undefined) return this.#refuse(state, request, state.unstorable);
    const captured = captureByResponse(state.rule, finished, state.host, now, hasCredentials(adapter.headers(request)), state.tagged?.tags);
    if (isRefusal(captured)) return this.#refuse(state, request, captured);
    for (const [name, value] of Object.entries(captured.added)) adapter.setHeader(response, name, value);
    adapter.onHeadersSent(response, {}, (head) => this.#commit(state, request, finished, captured.entry, head));
  }

  /** The headers went on the wire: the page is stored when they still allow it, else waiters and lock are let go. */
  #commit(state: MissState, request: Req, finished: FinishedResponse, entry: CachedResponse, head: SentHead | undefined): void {
    if (state.closed) return;
    const rule = state.rule;
    const refused = refusalOnWire(finished, head, rule.statusCodes, rule.freshness === 'response' ? freshnessOptions(rule) : undefined);
    if (refused !== undefined) return this.#refuse(state, request, refused);
    try {
      this.#placement.keep(state, request, entry, finished.headers.vary);
      state.closed = true;
    } finally {
      release(state);
    }
  }

  /** A miss whose response may not be stored: counted and said once per route and reason, its waiters and lock let go. */
  #refuse(state: MissState, request: Req, refused: Refusal): void {
    release(state);
    this.#notices.record(state.rule.stats, refused, this.#adapter.log(request));
  }

  /**
   * Lets the requests waiting for this miss's response go now (each runs its handler): for a
   * response that is streamed, whose end may be long in coming (a slow client); it is still stored
   * when it ends. Adapters call it when the body starts going out before it is complete.
   */
  releaseWaiters(request: Req): void {
    const state = this.#states.get(request);
    if (state === undefined || state === SESSION_BYPASS || state.lead === undefined) return;
    const lead = state.lead;
    state.lead = undefined;
    lead.abandon();
  }

  /** Gives up storing this miss's response (the adapter could not collect its body): waiters and lock are let go. */
  abandon(request: Req): void {
    const state = this.#states.get(request);
    if (state === undefined) return;
    this.#states.delete(request);
    if (state === SESSION_BYPASS) return;
    release(state);
  }

  /**
   * The rest of `begin`, when the hit could not be answered at once: the read of the key (unless
   * `first` holds it) tells where the page lives; then the page's flight answers: fresh or stale
   * (replayed), wait for the request of this process that leads it, or lead (run the handler): true when it replied.
   */
  async #answer(request: Req, response: Res, rule: CacheRule<Req>, key: string, host: string, method: string, refreshWrites: RefreshWrites | undefined, first: ViewRead | undefined | typeof NOT_READ): Promise<boolean> {
    const adapter = this.#adapter;
    const headers = adapter.headers(request);
    const head = method === 'HEAD';
    const byResponse = rule.freshness === 'response';
    // Freshness from the response: a response this request just revalidated answers it, fresh or not.
    let revalidated = false;
    for (;;) {
      const read = first !== NOT_READ ? first : await this.#reader.read(key, request, rule.statusCodes);
      first = NOT_READ;
      const place = this.#place(key, host, read, request);
      const base = { key, marker: place.marker, owner: place.owner, host, rule: rule as CacheRule<object>, head, lead: undefined, refreshWrites };
      let page = place.read;
      if (byResponse && place.lookup !== key) page = landedRead(await this.#readPage(place, request, rule));
      const pageView = page?.view;
      const stored = pageView !== undefined && !(pageView instanceof VaryMarker) ? pageView : undefined;
      // A refresh leads nobody: requests meanwhile keep getting the stale page, not a wait for it.
      if (refreshWrites !== undefined) {
        if (!byResponse && place.lookup !== key) await this.#readPage(place, request, rule);
        this.#hold(request, response, { ...base, hostVariant: place.hostVariant, validating: byResponse ? stored : undefined });
        return false;
      }
      const action = byResponse && stored?.freshness !== undefined ? (revalidated ? 'fresh' : freshnessAction(stored.freshness, Date.now())) : undefined;
      if (stored !== undefined && (action === undefined ? !page!.stale : action === 'fresh')) {
        replayResponse(adapter, response, headers, stored, 'HIT', rule.stats);
        return true;
      }
      const refresh = this.#refreshOf(`${host}\u0000${place.lookup}`, request, headers, byResponse && stored?.freshness?.validated ? validatingHeaders(stored) : undefined, byResponse);
      let policy = rule.policy;
      let firstEntry = place.lookup === key ? toEntry(page) : undefined;
      if (action !== undefined) {
        if (action === 'expired' || (action === 'revalidate' && refresh.refresh === undefined)) firstEntry = NONE;
        else {
          firstEntry = toEntry({ view: stored!, stale: true });
          // Revalidation waits for its answer (stale only on an error within stale-if-error); stale-while-revalidate does not.
          policy = action === 'revalidate'
            ? { ...rule.policy, softMs: (rule.policy.lockMs || rule.policy.hardMs || 5000) + 1000, staleIfError: withinStaleIfError(stored!.freshness!, Date.now()) }
            : { ...rule.policy, softMs: 0, staleIfError: true };
        }
      }
      const spec: FlightSpec<Landed> = {
        audience: host,
        policy,
        read: () => this.#readPage(place, request, rule),
        poll: () => this.#pollPage(place.lookup, request, rule),
        ...refresh,
      };
      let opened;
      try {
        opened = await this.#flights.open(place.lookup, spec, firstEntry);
      } catch (error) {
        if (!(error instanceof RefreshNotStored)) throw error;
        // A 304 that does not select the stored response (another ETag) updates nothing: the stored
        // one answers, unchanged, when it may be served stale; a 304 never goes to a client that did not ask.
        if (error.response.statusCode === 304) {
          if (stored?.freshness !== undefined && !stored.freshness.mustRevalidate && !stored.freshness.noCache) {
            replayResponse(adapter, response, headers, stored, 'STALE', rule.stats);
            return true;
          }
        } else if (passOn(adapter, response, error.response)) {
          // The revalidation's response was not stored (and the stale one may not answer): it is this request's answer.
          return true;
        }
        this.#hold(request, response, { ...base, hostVariant: place.hostVariant });
        return false;
      }
      if (opened.state === 'fresh' && opened.value === REVALIDATED) {
        revalidated = true;
        continue;
      }
      if (opened.state === 'lead') {
        this.#hold(request, response, { ...base, hostVariant: place.hostVariant, lead: opened });
        return false;
      }
      const landed = opened.state === 'wait' ? await opened.settled.catch(() => undefined) : opened.value;
      if (landed === LOOK_AGAIN || landed === REVALIDATED) {
        revalidated = landed === REVALIDATED;
        continue;
      }
      if (landed !== undefined && (landed.marker === undefined || JSON.stringify(varyValues(landed.marker.names, headers, host)) === landed.values)) {
        replayResponse(adapter, response, headers, landed.entry, opened.state === 'stale' || landed.stale ? 'STALE' : 'HIT', rule.stats);
        return true;
      }
      this.#hold(request, response, {
        ...base,
        marker: landed?.marker ?? place.marker,
        owner: landed?.owner ?? place.owner,
        hostVariant: (landed?.hostVariant ?? false) || place.hostVariant,
      });
      return false;
    }
  }

  /** Where the page of a request of audience `host` lives, from what was read at `key`: there, or under the Vary list or another audience's page found there. */
  #place(key: string, host: string, read: ViewRead | undefined, request: Req): Place {
    const stored = read?.view;
    const headers = this.#adapter.headers(request);
    if (stored instanceof VaryMarker) return { host, lookup: variantKey(key, stored.generation, stored.names, headers, host), marker: stored, owner: undefined, hostVariant: false, read: undefined };
    if (stored !== undefined && stored.audience !== host) return { host, lookup: variantKey(key, stored.generation, HOST_ONLY, headers, host), marker: undefined, owner: stored, hostVariant: true, read: undefined };
    return { host, lookup: key, marker: undefined, owner: undefined, hostVariant: false, read };
  }

  /** The page at a variant `place`: this audience's response there, else none (another audience's there: the audience joins the Vary list). */
  async #readPage(place: Place, request: Req, rule: CacheRule<Req>): Promise<Entry<Landed>> {
    const read = await this.#reader.read(place.lookup, request, rule.statusCodes);
    const stored = read?.view;
    if (stored === undefined || stored instanceof VaryMarker) return NONE;
    if (stored.audience !== place.host) {
      place.hostVariant = true;
      return NONE;
    }
    return toEntry(read);
  }

  /** While waiting for another process's lock: anything stored at `lookup` means look again. */
  async #pollPage(lookup: string, request: Req, rule: CacheRule<Req>): Promise<Entry<Landed>> {
    return (await this.#reader.read(lookup, request, rule.statusCodes)) === undefined ? NONE : FOUND_AGAIN;
  }

  /** The refresh of a request's stale page: the request run again (see ViewRefresher; with `conditions`, a revalidation), then read again; none while the page backs off. */
  #refreshOf(page: string, request: Req, headers: RequestHeaders, conditions: Record<string, string> | undefined, byResponse: boolean): Pick<FlightSpec<Landed>, 'refresh'> {
    const run = this.#refresher.refresh(page, this.#adapter.url(request), headers, this.#adapter.remoteAddress(request), conditions);
    const after = byResponse ? REVALIDATED : LOOK_AGAIN;
    return run === undefined ? {} : { refresh: (leaseMs) => run(leaseMs).then(() => after) };
  }

  /**
   * Marks `request` as a miss that runs the handler: `finish` stores its response. One that ends
   * without `finish` (aborted, hijacked, failed) still releases its waiters and its lock when its
   * response closes; only misses pay for that listener.
   */
  #hold(request: Req, response: Res, state: MissState): void {
    this.#states.set(request, state);
    if (!state.head) this.#readTags(state, request);
    this.#adapter.setHeader(response, 'x-cache', 'MISS');
    this.#adapter.onClose(response, () => {
      if (this.#states.get(request) === state) this.#states.delete(request);
      release(state);
    });
  }

  /** Starts reading the versions of the page's tags, before its handler runs (see MissState.tagged). */
  #readTags(state: MissState, request: Req): void {
    const rule = state.rule as CacheRule<Req>;
    if (rule.tags === undefined) return;
    let tags: readonly string[];
    try {
      tags = rule.tags(request);
    } catch (error) {
      this.#adapter.log(request).warn({ err: error }, "larder: the route's tags function threw; response not cached");
      state.unstorable = { reason: 'tags-failed', detail: 'its tags function threw' };
      return;
    }
    if (tags.length === 0) return;
    const versions = this.#cache.tagVersions(tags).catch((error: unknown) => {
      this.#adapter.log(request).warn({ err: error }, 'larder: the page\'s tags could not be read; response not cached');
      return undefined;
    });
    state.tagged = { tags, versions };
  }

  /** Waits for the refreshes and cache writes still under way (called before the cache closes). */
  async drain(): Promise<void> {
    await this.#flights.drain();
    await this.#placement.drain();
  }

  /** The ttl pages of `rule` are stored for, in seconds. */
  #ttlOf(rule: CacheRule<object>): number {
    return rule.ttl ?? this.#cache.defaultTtl;
  }
}

/** Errors during which a stale response may answer (RFC 5861's stale-if-error: 500, 502, 503, 504). */
const STALE_IF_ERROR_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);
/** A page's flight entry as a read (undefined for none). */
function landedRead(entry: Entry<Landed>): ViewRead | undefined {
  if (entry.kind === 'none' || entry.value === LOOK_AGAIN || entry.value === REVALIDATED) return undefined;
  return { view: entry.value.entry, stale: entry.kind === 'stale' };
}

const noInjector: Injector = () => Promise.reject(new Error('this response cache was made without an injector, so it cannot refresh stale pages'));

