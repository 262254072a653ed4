import { randomBytes } from 'node:crypto';
import { awaitLock, DecodeMemo, FailureLog, type Cache, type CacheLogger, type LockAttempt, type TagVersions } from '@larder/core';
import type { CacheRule } from './cache-rule.js';
import { captureResponse, storedHeaders } from './capture.js';
import { replayResponse } from './replay.js';
import type { FinishedResponse, HttpAdapter } from './http-adapter.js';
import { appendVary, carriesBody, hasCredentials, HOST_VARIANT, refusalOf, sameNames, varyHeaderNames, varyValues, withHostVariant, type Refusal } from './http-rules.js';
import { NotStoredNotices, refusalOnWire } from './not-stored.js';
import type { SentHead } from './sent-head.js';
import { requestKey } from './request-key.js';
import type { BypassReason, ViewRouteStats } from './route-stats.js';
import { ViewRefresher, type Injector, type RefreshWrites } from './view-refresh.js';
import { decodeStoredView, DEFAULT_MEMO_BYTES, DEFAULT_MEMO_ENTRY_BYTES, encodeResponse, encodeVaryMarker, MalformedView, VaryMarker, type CachedResponse, type DecoderBounds, type StoredView } from './stored-view.js';
import { variantKey } from './view-key.js';

/** What a request that ran the handler hands to the requests that waited for it. */
interface Shared {
  entry: CachedResponse;
  /** The Vary list the response was stored under, with its generation; undefined without Vary. */
  marker: VaryMarker | undefined;
  /** The leader's values of the marker's headers (JSON), which a waiter's must equal. */
  values: string | undefined;
  /** What the leader read at the key (see MissState), for a waiter that runs the handler itself. */
  owner: CachedResponse | undefined;
  hostVariant: boolean;
}

/** A request that missed and runs the handler: where it stores and, when it leads, how to hand its response to waiters. */
interface MissState {
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
  settle: ((shared: Shared | typeof LOOK_AGAIN | undefined) => void) | undefined;
  /** The cross-process lock this request holds while its handler runs, released once its page is stored. */
  lock: Extract<LockAttempt, { status: 'acquired' }> | undefined;
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
  /** Set once the waiters and the lock were let go, or handed to the store: nothing more to release. */
  closed?: boolean;
}

/** What a leader that found the page in the cache (another process stored it) tells its waiters: read it yourselves. */
const LOOK_AGAIN = Symbol('look again');

/** `#lookup` has no read of the key to start from. */
const NOT_READ = Symbol('not read');

/** A stored response or Vary list as read, and whether it is past its ttl (within grace). */
interface ViewRead {
  view: CachedResponse | VaryMarker;
  stale: boolean;
}

/** What a request found at its key: the page (fresh or stale) and where it lives, or where it would be stored. */
interface Lookup {
  stored: CachedResponse | undefined;
  stale: boolean;
  lookup: string;
  marker: VaryMarker | undefined;
  owner: CachedResponse | undefined;
  hostVariant: boolean;
  /** A leader of this process already running the handler for `lookup`. */
  running: Promise<Shared | typeof LOOK_AGAIN | undefined> | undefined;
  /** Set when this request became the leader for `lookup`: how it hands its response to waiters. */
  settle: MissState['settle'];
}

/** Marks a request that bypassed the cache because it carries a session: its response gets `Vary: Cookie`. */
const SESSION_BYPASS = Symbol('session bypass');

/**
 * Whole-response caching (Flask-Caching's `@cache.cached()`), for any framework through an
 * `HttpAdapter`: the adapter calls `begin` where the handler would run (after every hook that may
 * refuse the request, authentication too) and `finish` with the response the handler produced. A
 * hit is replayed by `begin` without the handler (with `Age`, and a 304 when the request's
 * `If-None-Match` / `If-Modified-Since` says the client has it); a miss runs the handler and
 * stores what it sent. Concurrent misses for one key in this process wait for the first one's
 * response instead of running the handler again.
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
 * stored, so a slow memcached cannot make them pile up), the leaders map and the per-request
 * states by the requests in flight (an entry lives from a miss to its response).
 */
export class ResponseCache<Req extends object, Res> {
  readonly #cache: Cache;
  readonly #adapter: HttpAdapter<Req, Res>;
  readonly #states = new WeakMap<Req, MissState | typeof SESSION_BYPASS>();
  readonly #leaders = new Map<string, Promise<Shared | typeof LOOK_AGAIN | undefined>>();
  readonly #refresher: ViewRefresher;
  readonly #writes = new Set<Promise<void>>();
  readonly #maxPendingWriteBytes: number;
  #pendingWriteBytes = 0;
  readonly #memo: DecodeMemo<StoredView | MalformedView | undefined>;
  readonly #malformedLog: FailureLog;
  #malformed = 0;
  readonly #notices = new NotStoredNotices();

  /** A response cache over `cache`, seeing requests and responses through `adapter` (see ResponseCacheOptions). */
  constructor(cache: Cache, adapter: HttpAdapter<Req, Res>, options: ResponseCacheOptions = {}) {
    this.#cache = cache;
    this.#adapter = adapter;
    this.#refresher = new ViewRefresher(cache, options.inject ?? noInjector);
    const bounds = options.bounds ?? {};
    this.#maxPendingWriteBytes = bounds.maxPendingWriteBytes ?? DEFAULT_PENDING_WRITE_BYTES;
    this.#memo = new DecodeMemo(decodeStoredView, { maxBytes: bounds.maxBytes ?? DEFAULT_MEMO_BYTES, maxEntryBytes: bounds.maxEntryBytes ?? DEFAULT_MEMO_ENTRY_BYTES });
    this.#malformedLog = new FailureLog(options.logger ?? { warn: () => {} }, 10_000, Date.now, 'larder response cache');
  }

  /** Bytes the decode memo holds now (for tests and diagnostics). */
  get memoBytes(): number {
    return this.#memo.bytes;
  }

  /** Stored values read that were in Larder's format but unusable (forged, corrupt), each a miss (for tests and diagnostics). */
  get malformedEntries(): number {
    return this.#malformed;
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
    if (this.#leaders.size === 0 && refreshWrites === undefined) {
      const peeked = this.#cache.peekDecoded(key, this.#memo);
      if (peeked !== undefined) {
        // Counted as read once: a page not to serve is classified here as #read would.
        const read = this.#usable(peeked, false, request, rule.statusCodes);
        const view = read?.view;
        if (view !== undefined && !(view instanceof VaryMarker) && isAudience(view.audience, hostName, route)) {
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
    const refused = state.unstorable ?? whyNotCacheable(finished, rule.statusCodes);
    if (refused !== undefined) return this.#refuse(state, request, refused);
    const storedAt = Date.now();
    const added = storedHeaders(rule, finished, storedAt, this.#ttlOf(rule), state.tagged?.tags);
    for (const [name, value] of Object.entries(added)) adapter.setHeader(response, name, value);
    const entry = captureResponse(finished, added, state.host, storedAt);
    const retract: Record<string, string> = added['cache-control'] === undefined ? {} : { 'cache-control': added['cache-control'] };
    adapter.onHeadersSent(response, retract, (head) => this.#commit(state, request, finished, entry, head));
  }

  /** The headers went on the wire: the page is stored when they still allow it, else waiters and lock are let go. */
  #commit(state: MissState, request: Req, finished: FinishedResponse, entry: CachedResponse, head: SentHead | undefined): void {
    if (state.closed) return;
    const refused = refusalOnWire(finished, head, state.rule.statusCodes);
    if (refused !== undefined) return this.#refuse(state, request, refused);
    try {
      this.#keep(state, request, entry, finished.headers.vary);
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
    if (state === undefined || state === SESSION_BYPASS || state.settle === undefined) return;
    const settle = state.settle;
    state.settle = undefined;
    settle(undefined);
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
   * The rest of `begin`, when the hit could not be answered at once: the first read (unless
   * `first` holds it), then a page found (fresh or stale), a leader to wait for, or this request
   * leads and runs the handler. Resolves to true when it replied, false when the handler runs.
   */
  async #answer(request: Req, response: Res, rule: CacheRule<Req>, key: string, host: string, method: string, refreshWrites: RefreshWrites | undefined, first: ViewRead | undefined | typeof NOT_READ): Promise<boolean> {
    const adapter = this.#adapter;
    const headers = adapter.headers(request);
    if (first === NOT_READ && this.#leaders.size === 0 && refreshWrites === undefined) {
      const read = await this.#read(key, request, rule.statusCodes);
      const view = read?.view;
      if (view !== undefined && !read!.stale && !(view instanceof VaryMarker) && view.audience === host) {
        replayResponse(adapter, response, headers, view, 'HIT', rule.stats);
        return true;
      }
      first = read;
    }
    const head = method === 'HEAD';
    for (;;) {
      const found = await this.#lookup(key, host, request, rule, refreshWrites !== undefined, first);
      first = NOT_READ;
      if (found.stored !== undefined && refreshWrites === undefined) {
        if (!found.stale) {
          replayResponse(adapter, response, headers, found.stored, 'HIT', rule.stats);
          return true;
        }
        this.#cache.servedStale(found.lookup, 'expired');
        this.#refresher.start(this.#leaderKey(host, found.lookup), found.lookup, adapter.url(request), headers, adapter.remoteAddress(request), rule.policy);
        replayResponse(adapter, response, headers, found.stored, 'STALE', rule.stats);
        return true;
      }
      const { marker, owner, hostVariant } = found;
      const base = { key, marker, owner, hostVariant, host, rule: rule as CacheRule<object>, head, lock: undefined, refreshWrites };
      // A refresh leads nobody: requests meanwhile keep getting the stale page, not a wait for it.
      if (refreshWrites !== undefined) {
        this.#hold(request, response, { ...base, settle: undefined });
        return false;
      }
      if (found.settle !== undefined) {
        const state: MissState = { ...base, settle: found.settle };
        if (rule.policy.lockMs > 0) {
          let other: typeof LOOK_AGAIN | undefined;
          try {
            other = await this.#awaitOtherProcess(state, found.lookup, rule);
          } catch (error) {
            // The leader fails (the cache closed under it): its waiters must not wait for it forever.
            state.settle?.(undefined);
            throw error;
          }
          if (other === LOOK_AGAIN) continue;
        }
        this.#hold(request, response, state);
        return false;
      }
      // Leaders are per audience, so what a leader hands over was made for this one.
      const shared = await found.running!;
      if (shared === LOOK_AGAIN) continue;
      if (shared && (shared.marker === undefined || JSON.stringify(varyValues(shared.marker.names, headers, host)) === shared.values)) {
        replayResponse(adapter, response, headers, shared.entry, 'HIT', rule.stats);
        return true;
      }
      this.#hold(request, response, {
        ...base,
        marker: shared?.marker ?? marker,
        owner: shared?.owner ?? owner,
        hostVariant: (shared?.hostVariant ?? false) || hostVariant,
        settle: undefined,
      });
      return false;
    }
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
    await this.#refresher.drain();
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes]);
  }

  /**
   * What is stored for a request of audience `host` at `key`: the Vary list or another audience's
   * page there leads to the variant where this request's page lives. When no page is found (or for
   * a refresh), either `running` is set (a leader of this process already runs the handler for it)
   * or this request becomes the leader (`settle`).
   */
  async #lookup(key: string, host: string, request: Req, rule: CacheRule<Req>, refresh: boolean, first: ViewRead | undefined | typeof NOT_READ): Promise<Lookup> {
    const found: Lookup = { stored: undefined, stale: false, lookup: key, marker: undefined, owner: undefined, hostVariant: false, running: undefined, settle: undefined };
    // Most requests are hits with nobody leading: they skip making the leader key.
    found.running = this.#leaders.size === 0 || refresh ? undefined : this.#leaders.get(this.#leaderKey(host, key));
    if (found.running) return found;
    const headers = this.#adapter.headers(request);
    // `first`: what the caller already read at `key` (nobody was leading then).
    let read = first !== NOT_READ ? first : await this.#read(key, request, rule.statusCodes);
    let stored = read?.view;
    if (stored instanceof VaryMarker) {
      found.marker = stored;
      found.lookup = variantKey(key, stored.generation, stored.names, headers, host);
    } else if (stored !== undefined && stored.audience !== host) {
      found.owner = stored;
      found.hostVariant = true;
      found.lookup = variantKey(key, stored.generation, HOST_ONLY, headers, host);
    }
    if (found.lookup !== key) {
      found.running = refresh ? undefined : this.#leaders.get(this.#leaderKey(host, found.lookup));
      if (found.running) return found;
      read = await this.#read(found.lookup, request, rule.statusCodes);
      stored = read?.view;
      if (stored instanceof VaryMarker) stored = undefined;
      // A Vary list without the audience can hold another audience's response here: the audience joins the list.
      if (stored !== undefined && stored.audience !== host) {
        found.hostVariant = true;
        stored = undefined;
      }
    }
    if (stored !== undefined && !(stored instanceof VaryMarker)) {
      found.stored = stored;
      found.stale = read!.stale;
    }
    if (found.stored !== undefined || refresh) return found;
    // No await between this check and #lead: of the requests that missed, exactly one leads.
    const flight = this.#leaderKey(host, found.lookup);
    found.running = this.#leaders.get(flight);
    if (found.running === undefined) found.settle = this.#lead(flight);
    return found;
  }

  /**
   * A leader of this process on a route with the lock: takes the page's lock in the cluster, or
   * waits for the process that holds it, polling the page with backoff. LOOK_AGAIN when the page
   * appeared (its waiters read it too); otherwise the request runs the handler, holding the lock
   * when it got it, or without it once the holder has had the lock's timeout (a dead holder delays,
   * never blocks).
   */
  async #awaitOtherProcess(state: MissState, lookup: string, rule: CacheRule<Req>): Promise<typeof LOOK_AGAIN | undefined> {
    const find = async () => {
      const item = await this.#cache.read(lookup);
      return item.status === 'hit' || (item.status === 'miss' && item.stale !== undefined) ? LOOK_AGAIN : undefined;
    };
    const wait = await awaitLock(() => this.#cache.tryLock(lookup, rule.policy.lockMs), rule.policy.lockMs, find);
    if (wait.status === 'acquired') state.lock = wait.lock;
    if (wait.status !== 'found') return undefined;
    state.settle?.(LOOK_AGAIN);
    return LOOK_AGAIN;
  }

  /**
   * Hands `entry` to the waiters and stores it: at the key when nothing (or this audience's page)
   * was there and it has no Vary; under a variant of another audience's page at the key; else
   * under its variant, with the Vary list (the audience in it when needed) at the key.
   */
  #keep(state: MissState, request: Req, entry: CachedResponse, vary: unknown): void {
    const writes: Array<Promise<void>> = [];
    const store = (key: string, value: string) => {
      const write = this.#store(key, value, state.rule, state.tagged?.versions, request);
      if (write) writes.push(write);
    };
    this.#storeVariants(state, request, entry, vary, store);
    state.refreshWrites?.push(...writes);
    // The lock goes once the page is stored, so a process that takes it next finds the page.
    if (state.lock) void Promise.allSettled(writes).then(() => state.lock?.release());
  }

  #storeVariants(state: MissState, request: Req, entry: CachedResponse, vary: unknown, store: (key: string, value: string) => void): void {
    const headers = this.#adapter.headers(request);
    const varied = varyHeaderNames(vary);
    let names = varied === '*' ? [] : varied;
    // Once the audience is in the list it stays there, or audiences would take turns replacing the list.
    if (state.hostVariant || state.marker?.names.includes(HOST_VARIANT)) names = withHostVariant(names);
    const { owner, hostVariant } = state;
    if (names.length === 0) {
      const owned = { ...entry, generation: randomBytes(8).toString('hex') };
      state.settle?.({ entry: owned, marker: undefined, values: undefined, owner, hostVariant });
      store(state.key, encodeResponse(owned));
      return;
    }
    if (owner !== undefined && names.length === 1) {
      state.settle?.({ entry, marker: undefined, values: undefined, owner, hostVariant });
      store(variantKey(state.key, owner.generation, HOST_ONLY, headers, state.host), encodeResponse(entry));
      return;
    }
    let marker = state.marker;
    const fresh = marker === undefined || !sameNames(marker.names, names);
    if (fresh) marker = new VaryMarker(names, randomBytes(8).toString('hex'));
    state.settle?.({ entry, marker, values: JSON.stringify(varyValues(names, headers, state.host)), owner, hostVariant });
    if (fresh) store(state.key, encodeVaryMarker(marker!));
    store(variantKey(state.key, marker!.generation, names, headers, state.host), encodeResponse(entry));
  }

  /**
   * The stored response or Vary list at `key`; undefined when absent, unreadable or neither. A
   * value in Larder's format that cannot be used (or whose status the route does not store) is
   * a miss too, counted and logged: someone else wrote it. `stale`: past its ttl, within grace.
   */
  async #read(key: string, request: Req, statusCodes: ReadonlySet<number>): Promise<ViewRead | undefined> {
    let view: CachedResponse | VaryMarker | MalformedView | undefined;
    let stale = false;
    try {
      const entry = await this.#cache.readDecodedEntry(key, this.#memo);
      view = entry?.value;
      stale = entry?.stale ?? false;
    } catch (error) {
      this.#adapter.log(request).warn({ err: error }, 'larder: response cache read failed; running the handler');
      return undefined;
    }
    return view === undefined ? undefined : this.#usable(view, stale, request, statusCodes);
  }

  /** A decoded stored value as a ViewRead, or undefined (counted and logged) when it is unusable or of a status the route does not store. */
  #usable(view: CachedResponse | VaryMarker | MalformedView, stale: boolean, request: Req, statusCodes: ReadonlySet<number>): ViewRead | undefined {
    if (!(view instanceof VaryMarker) && !(view instanceof MalformedView) && !statusCodes.has(view.status)) {
      view = new MalformedView(`status ${view.status}, which the route does not store`);
    }
    if (!(view instanceof MalformedView)) return { view, stale };
    this.#malformed++;
    this.#malformedLog.record(`a stored response of ${this.#adapter.route(request) || 'a route'} is unusable (${view.reason}); running the handler`);
    return undefined;
  }

  /**
   * The single-flight key of `lookup` for requests of audience `host`: the cache's full backend key
   * (prefix and safe-key step, as getOrSet's flights) and the audience (see `audienceOf`).
   */
  #leaderKey(host: string, lookup: string): string {
    return `${host}\u0000${this.#cache.backendKey(lookup)}`;
  }

  /** Makes the caller the one request that runs the handler for `key`; others wait for `settle`. */
  #lead(key: string): (shared: Shared | typeof LOOK_AGAIN | undefined) => void {
    let resolve!: (shared: Shared | typeof LOOK_AGAIN | undefined) => void;
    const outcome = new Promise<Shared | typeof LOOK_AGAIN | undefined>((done) => (resolve = done));
    this.#leaders.set(key, outcome);
    return (shared) => {
      if (this.#leaders.get(key) === outcome) this.#leaders.delete(key);
      resolve(shared);
    };
  }

  /** The ttl pages of `rule` are stored for, in seconds. */
  #ttlOf(rule: CacheRule<object>): number {
    return rule.ttl ?? this.#cache.defaultTtl;
  }

  /**
   * Stores in the background (with the route's grace, and the tag versions read when the request
   * missed), so a slow cache never delays the response; failures are logged.
   */
  #store(key: string, value: string, rule: CacheRule<object>, tagged: Promise<TagVersions | undefined> | undefined, request: Req): Promise<void> | undefined {
    const log = this.#adapter.log(request);
    // Two bytes per UTF-16 code unit: what the string holds in memory until it is written.
    const bytes = value.length * 2;
    if (this.#pendingWriteBytes + bytes > this.#maxPendingWriteBytes) {
      log.debug('larder: response not cached: the writes already waiting for the cache are at their byte bound');
      return undefined;
    }
    this.#pendingWriteBytes += bytes;
    const ttl = this.#ttlOf(rule);
    const grace = rule.policy.graceSeconds;
    const set = async (): Promise<boolean> => {
      if (tagged === undefined) return this.#cache.set(key, value, { ttl, grace });
      const versions = await tagged;
      return versions === undefined ? false : this.#cache.set(key, value, { ttl, grace, tags: versions });
    };
    const write = set()
      .then(
        () => undefined,
        (error: unknown) => log.warn({ err: error }, 'larder: response not cached'),
      )
      .finally(() => {
        this.#writes.delete(write);
        this.#pendingWriteBytes -= bytes;
      });
    this.#writes.add(write);
    return write;
  }
}

/** Options of a ResponseCache. */
export interface ResponseCacheOptions {
  /** Bounds of its in-process state. */
  bounds?: ResponseCacheBounds;
  /** Hears of unusable stored values, once per 10 s burst (default: nowhere). */
  logger?: CacheLogger;
  /** Runs a request through the app again, for the background refresh of stale pages (routes with grace). */
  inject?: Injector;
}

/** Bounds of a response cache's in-process state. */
export interface ResponseCacheBounds extends DecoderBounds {
  /** Bytes of responses waiting to be written to the cache at once (default 64 MiB). */
  maxPendingWriteBytes?: number;
}

const DEFAULT_PENDING_WRITE_BYTES = 64 * 1024 * 1024;

/** The variant list of a page stored for another audience than the one at the key. */
const HOST_ONLY: readonly string[] = Object.freeze([HOST_VARIANT]);

const noInjector: Injector = () => Promise.reject(new Error('this response cache was made without an injector, so it cannot refresh stale pages'));

/**
 * Whom a stored response may be served to: the Host and, when the adapter names it, the route.
 * A Host never holds a NUL (Node refuses it in a header), so the pair reads one way only.
 */
export function audienceOf(host: string, route: string): string {
  return route === '' ? host : `${host}\u0000${route}`;
}

/** True when `audience` is `audienceOf(host, route)`, without making that string (a hit's check). */
function isAudience(audience: string, host: string, route: string): boolean {
  if (route === '') return audience === host;
  return audience.length === host.length + 1 + route.length && audience.startsWith(host) && audience.charCodeAt(host.length) === 0 && audience.endsWith(route);
}

/** Why a finished response cannot be stored, or undefined when it can (see `refusalOf`). */
function whyNotCacheable(finished: FinishedResponse, statusCodes: ReadonlySet<number>): Refusal | undefined {
  const refused = refusalOf(finished.status, (name) => finished.headers[name], statusCodes);
  if (refused !== undefined) return refused;
  if (finished.body === undefined) return { reason: 'stream', detail: 'the body is a stream, or was too large to collect' };
  return undefined;
}

/** Lets a miss's waiters and its lock go, once (a miss handed to the store is closed already: the store lets them go). */
function release(state: MissState): void {
  if (state.closed) return;
  state.closed = true;
  state.settle?.(undefined);
  void state.lock?.release();
}

/** Skips the cache for this request: the handler runs and its response is not stored. */
function bypass<Req extends object, Res>(adapter: HttpAdapter<Req, Res>, response: Res, stats: ViewRouteStats, reason: BypassReason): false {
  stats.bypasses++;
  stats.bypassed[reason] = (stats.bypassed[reason] ?? 0) + 1;
  adapter.setHeader(response, 'x-cache', 'BYPASS');
  return false;
}
