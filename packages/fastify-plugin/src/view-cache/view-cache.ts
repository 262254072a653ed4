import { randomBytes } from 'node:crypto';
import { awaitLock, DecodeMemo, FailureLog, type Cache, type CacheLogger, type LockAttempt } from '@larder/core';
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { variantKey, viewKey } from '../view-key.js';
import { captureResponse, replayResponse, whyNotCacheable } from './cached-response.js';
import { appendVary, carriesSession, hasCredentials, HOST_VARIANT, sameNames, varyHeaderNames, varyValues, withHostVariant } from './http-rules.js';
import type { ViewCacheRule } from './route-config.js';
import type { ViewRouteStats } from './route-stats.js';
import { ViewRefresher, type Injector, type RefreshWrites } from './view-refresh.js';
import { decodeStoredView, DEFAULT_MEMO_BYTES, DEFAULT_MEMO_ENTRY_BYTES, encodeResponse, encodeVaryMarker, MalformedView, VaryMarker, type CachedResponse, type DecoderBounds, type StoredView } from './stored-view.js';

/** The hooks that cache one route's responses. */
export interface ViewCacheHooks {
  preHandler: preHandlerHookHandler;
  onSend: (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) => void;
}

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
  /** The response read at `key` when it is another Host's: this Host's is stored under a variant of it. */
  owner: CachedResponse | undefined;
  /** True when the Host must be part of the variant (another Host's response was found). */
  hostVariant: boolean;
  host: string;
  settle: ((shared: Shared | typeof LOOK_AGAIN | undefined) => void) | undefined;
  /** The cross-process lock this request holds while its handler runs, released once its page is stored. */
  lock: Extract<LockAttempt, { status: 'acquired' }> | undefined;
  /** For a refresh request: where its writes go, so the refresh can wait for them. */
  refreshWrites: RefreshWrites | undefined;
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

/** The request properties @fastify/session and @fastify/cookie decorate, when registered. */
interface SessionRequest {
  session?: unknown;
  cookies?: unknown;
}

/**
 * Whole-response caching (Flask-Caching's `@cache.cached()`): a hit is replayed by the route's
 * last preHandler hook, so every hook before it (authentication too) still runs and only the
 * handler is skipped; a miss runs it and stores what it sent. Concurrent misses for one key in this
 * process wait for the first one's response instead of running the handler again.
 *
 * Safety (see http-rules.ts): requests with credentials or a session bypass the cache unless the
 * route opts in; an entry is served only to requests for the Host it was stored for; a response
 * with `Vary` is stored per variant of the headers it names, its Vary list at the route's key.
 *
 * Hosts: the first Host to store a page owns the route's key (Flask's key, one read per hit).
 * Another Host's response is stored under a variant of the owner's generation and that Host, so a
 * request with a foreign Host never disables caching for the real one; when Vary is involved the
 * Host joins the Vary list (`HOST_VARIANT`). Deleting the key orphans every Host's variant.
 *
 * In-process state is bounded: the decode memo in bytes (a core `DecodeMemo`), the responses
 * waiting to be written in bytes (`maxPendingWriteBytes`: past it a response is sent but not
 * stored, so a slow memcached cannot make them pile up), the leaders map and the per-request
 * states by the requests in flight (an entry lives from a miss to its response).
 */
export class ViewCache {
  readonly #cache: Cache;
  readonly #states = new WeakMap<FastifyRequest, MissState | typeof SESSION_BYPASS>();
  readonly #leaders = new Map<string, Promise<Shared | typeof LOOK_AGAIN | undefined>>();
  readonly #refresher: ViewRefresher;
  readonly #writes = new Set<Promise<void>>();
  readonly #maxPendingWriteBytes: number;
  #pendingWriteBytes = 0;
  readonly #memo: DecodeMemo<StoredView | MalformedView | undefined>;
  readonly #malformedLog: FailureLog;
  #malformed = 0;

  /**
   * `logger` hears of unusable stored values, once per 10 s burst (default: nowhere); `inject`
   * runs a request through the app again, for the background refresh of stale pages (routes with grace).
   */
  constructor(cache: Cache, bounds: ViewCacheBounds = {}, logger: CacheLogger = { warn: () => {} }, inject: Injector = noInjector) {
    this.#cache = cache;
    this.#refresher = new ViewRefresher(cache, inject);
    this.#maxPendingWriteBytes = bounds.maxPendingWriteBytes ?? DEFAULT_PENDING_WRITE_BYTES;
    this.#memo = new DecodeMemo(decodeStoredView, { maxBytes: bounds.maxBytes ?? DEFAULT_MEMO_BYTES, maxEntryBytes: bounds.maxEntryBytes ?? DEFAULT_MEMO_ENTRY_BYTES });
    this.#malformedLog = new FailureLog(logger, 10_000, Date.now, 'larder view cache');
  }

  /** Bytes the decode memo holds now (internal: for tests and diagnostics). */
  get memoBytes(): number {
    return this.#memo.bytes;
  }

  /** Stored values read that were in Larder's format but unusable (forged, corrupt), each a miss (internal: for tests and diagnostics). */
  get malformedEntries(): number {
    return this.#malformed;
  }

  /** Hooks for a route cached under `rule`. */
  hooksFor(rule: ViewCacheRule): ViewCacheHooks {
    const states = this.#states;
    // A callback hook: the common case, a fresh hit this process can answer at once (memory, near
    // cache), is replied without a promise. Replying from a callback hook is sending without `done`.
    const preHandler: preHandlerHookHandler = (request, reply, done) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') return done();
      // A refresh of a stale page: it runs the handler and stores whatever is at its key now.
      const refreshWrites = this.#refresher.claim(request);
      if (rule.unless?.(request)) return done();
      const headers = request.headers;
      if (!rule.shareAuthorized && hasCredentials(headers)) return done(bypass(reply, rule.stats));
      const session = (request as SessionRequest).session;
      if (session != null && !rule.shareSessions && carriesSession(session, (request as SessionRequest).cookies, headers.cookie)) {
        states.set(request, SESSION_BYPASS);
        return done(bypass(reply, rule.stats));
      }
      // No Host (HTTP/1.0) is a Host of its own, ''.
      const host: string = request.host ?? '';
      const key = rule.key ? rule.key(request) : viewKey(pathOf(request.url), rule.queryString ? (request.query as Record<string, unknown>) : undefined);
      let first: ViewRead | undefined | typeof NOT_READ = NOT_READ;
      if (this.#leaders.size === 0 && refreshWrites === undefined) {
        const peeked = this.#cache.peekDecoded(key, this.#memo);
        if (peeked !== undefined) {
          // Counted as read once: a page not to serve is classified here as #read would.
          const read = this.#usable(peeked, false, request, rule.statusCodes);
          const view = read?.view;
          if (view !== undefined && !(view instanceof VaryMarker) && view.host === host) {
            replayResponse(reply, view, 'HIT', rule.stats);
            return;
          }
          first = read;
        }
      }
      this.#answer(request, reply, rule, key, host, refreshWrites, first).then((replied) => {
        if (replied === undefined) done();
      }, done);
    };
    // onSend runs on every request of the route, hits too: a callback hook costs less than an async one.
    const onSend: ViewCacheHooks['onSend'] = (request, reply, payload, done) => {
      const state = states.get(request);
      if (state === undefined) return done(null, payload);
      states.delete(request);
      if (state === SESSION_BYPASS) {
        // As Django's session middleware: whatever caches sit downstream, this page is per visitor.
        reply.header('vary', appendVary(reply.getHeader('vary'), 'Cookie'));
        return done(null, payload);
      }
      reply.header('x-cache', 'MISS');
      rule.stats.misses++;
      const refused = whyNotCacheable(reply, payload, rule.statusCodes);
      if (refused !== undefined) {
        request.log.debug(`larder: response of ${request.routeOptions.url ?? request.url} not cached: ${refused}`);
        state.settle?.(undefined);
        void state.lock?.release();
        return done(null, payload);
      }
      this.#keep(state, request, captureResponse(reply, payload as string | Buffer, state.host, ''), reply.getHeader('vary'), rule);
      return done(null, payload);
    };
    return { preHandler, onSend };
  }

  /**
   * The rest of the preHandler, when the hit could not be answered at once: the first read (unless
   * `first` holds it), then a page found (fresh or stale), a leader to wait for, or this request
   * leads and runs the handler. Resolves to the reply when it replied, undefined when the handler runs.
   */
  async #answer(request: FastifyRequest, reply: FastifyReply, rule: ViewCacheRule, key: string, host: string, refreshWrites: RefreshWrites | undefined, first: ViewRead | undefined | typeof NOT_READ): Promise<FastifyReply | undefined> {
    const headers = request.headers;
    if (first === NOT_READ && this.#leaders.size === 0 && refreshWrites === undefined) {
      const read = await this.#read(key, request, rule.statusCodes);
      const view = read?.view;
      if (view !== undefined && !read!.stale && !(view instanceof VaryMarker) && view.host === host) return replayResponse(reply, view, 'HIT', rule.stats);
      first = read;
    }
    for (;;) {
      const found = await this.#lookup(key, host, request, rule, refreshWrites !== undefined, first);
      first = NOT_READ;
      if (found.stored !== undefined && refreshWrites === undefined) {
        if (!found.stale) return replayResponse(reply, found.stored, 'HIT', rule.stats);
        this.#cache.servedStale(found.lookup, 'expired');
        this.#refresher.start(this.#leaderKey(host, found.lookup), found.lookup, request, rule.policy);
        return replayResponse(reply, found.stored, 'STALE', rule.stats);
      }
      const { marker, owner, hostVariant } = found;
      // A refresh leads nobody: requests meanwhile keep getting the stale page, not a wait for it.
      if (refreshWrites !== undefined) {
        this.#hold(request, reply, { key, marker, owner, hostVariant, host, settle: undefined, lock: undefined, refreshWrites });
        return undefined;
      }
      if (found.settle !== undefined) {
        const state: MissState = { key, marker, owner, hostVariant, host, settle: found.settle, lock: undefined, refreshWrites };
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
        this.#hold(request, reply, state);
        return undefined;
      }
      // Leaders are per Host, so what a leader hands over was made for this Host.
      const shared = await found.running!;
      if (shared === LOOK_AGAIN) continue;
      if (shared && (shared.marker === undefined || JSON.stringify(varyValues(shared.marker.names, headers, host)) === shared.values)) {
        return replayResponse(reply, shared.entry, 'HIT', rule.stats);
      }
      this.#hold(request, reply, {
        key,
        marker: shared?.marker ?? marker,
        owner: shared?.owner ?? owner,
        hostVariant: (shared?.hostVariant ?? false) || hostVariant,
        host,
        settle: undefined,
        lock: undefined,
        refreshWrites,
      });
      return undefined;
    }
  }

  /**
   * Marks `request` as a miss that runs the handler: onSend stores its response. One that ends
   * without onSend (aborted, hijacked, failed) still releases its waiters and its lock when its
   * response closes; only misses pay for that listener, and hits run no hook of ours but onSend.
   */
  #hold(request: FastifyRequest, reply: FastifyReply, state: MissState): void {
    this.#states.set(request, state);
    reply.raw.once('close', () => {
      if (this.#states.get(request) !== state) return;
      this.#states.delete(request);
      state.settle?.(undefined);
      void state.lock?.release();
    });
  }

  /** Waits for the refreshes and cache writes still under way (called before the cache closes). */
  async drain(): Promise<void> {
    await this.#refresher.drain();
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes]);
  }

  /**
   * What is stored for a request to `host` at `key`: the Vary list or another Host's page there
   * leads to the variant where this request's page lives. When no page is found (or for a
   * refresh), either `running` is set (a leader of this process already runs the handler for it)
   * or this request becomes the leader (`settle`).
   */
  async #lookup(key: string, host: string, request: FastifyRequest, rule: ViewCacheRule, refresh: boolean, first: ViewRead | undefined | typeof NOT_READ): Promise<Lookup> {
    const found: Lookup = { stored: undefined, stale: false, lookup: key, marker: undefined, owner: undefined, hostVariant: false, running: undefined, settle: undefined };
    // Most requests are hits with nobody leading: they skip making the leader key.
    found.running = this.#leaders.size === 0 || refresh ? undefined : this.#leaders.get(this.#leaderKey(host, key));
    if (found.running) return found;
    // `first`: what the caller already read at `key` (nobody was leading then).
    let read = first !== NOT_READ ? first : await this.#read(key, request, rule.statusCodes);
    let stored = read?.view;
    if (stored instanceof VaryMarker) {
      found.marker = stored;
      found.lookup = variantKey(key, stored.generation, stored.names, request.headers, host);
    } else if (stored !== undefined && stored.host !== host) {
      found.owner = stored;
      found.hostVariant = true;
      found.lookup = variantKey(key, stored.generation, HOST_ONLY, request.headers, host);
    }
    if (found.lookup !== key) {
      found.running = refresh ? undefined : this.#leaders.get(this.#leaderKey(host, found.lookup));
      if (found.running) return found;
      read = await this.#read(found.lookup, request, rule.statusCodes);
      stored = read?.view;
      if (stored instanceof VaryMarker) stored = undefined;
      // A Vary list without the Host can hold another Host's response here: the Host joins the list.
      if (stored !== undefined && stored.host !== host) {
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
  async #awaitOtherProcess(state: MissState, lookup: string, rule: ViewCacheRule): Promise<typeof LOOK_AGAIN | undefined> {
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
   * Hands `entry` to the waiters and stores it: at the key when nothing (or this Host's page) was
   * there and it has no Vary; under a variant of another Host's page at the key; else under its
   * variant, with the Vary list (the Host in it when needed) at the key.
   */
  #keep(state: MissState, request: FastifyRequest, entry: CachedResponse, vary: unknown, rule: ViewCacheRule): void {
    const writes: Array<Promise<void>> = [];
    const store = (key: string, value: string) => {
      const write = this.#store(key, value, rule, request);
      if (write) writes.push(write);
    };
    this.#storeVariants(state, request, entry, vary, store);
    state.refreshWrites?.push(...writes);
    // The lock goes once the page is stored, so a process that takes it next finds the page.
    if (state.lock) void Promise.allSettled(writes).then(() => state.lock?.release());
  }

  #storeVariants(state: MissState, request: FastifyRequest, entry: CachedResponse, vary: unknown, store: (key: string, value: string) => void): void {
    const varied = varyHeaderNames(vary);
    let names = varied === '*' ? [] : varied;
    // Once the Host is in the list it stays there, or hosts would take turns replacing the list.
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
      store(variantKey(state.key, owner.generation, HOST_ONLY, request.headers, state.host), encodeResponse(entry));
      return;
    }
    let marker = state.marker;
    const fresh = marker === undefined || !sameNames(marker.names, names);
    if (fresh) marker = new VaryMarker(names, randomBytes(8).toString('hex'));
    state.settle?.({ entry, marker, values: JSON.stringify(varyValues(names, request.headers, state.host)), owner, hostVariant });
    if (fresh) store(state.key, encodeVaryMarker(marker!));
    store(variantKey(state.key, marker!.generation, names, request.headers, state.host), encodeResponse(entry));
  }

  /**
   * The stored response or Vary list at `key`; undefined when absent, unreadable or neither. A
   * value in Larder's format that cannot be used (or whose status the route does not store) is
   * a miss too, counted and logged: someone else wrote it. `stale`: past its ttl, within grace.
   */
  async #read(key: string, request: FastifyRequest, statusCodes: ReadonlySet<number>): Promise<ViewRead | undefined> {
    let view: CachedResponse | VaryMarker | MalformedView | undefined;
    let stale = false;
    try {
      const entry = await this.#cache.readDecodedEntry(key, this.#memo);
      view = entry?.value;
      stale = entry?.stale ?? false;
    } catch (error) {
      request.log.warn({ err: error }, 'larder: view cache read failed; running the handler');
      return undefined;
    }
    return view === undefined ? undefined : this.#usable(view, stale, request, statusCodes);
  }

  /** A decoded stored value as a ViewRead, or undefined (counted and logged) when it is unusable or of a status the route does not store. */
  #usable(view: CachedResponse | VaryMarker | MalformedView, stale: boolean, request: FastifyRequest, statusCodes: ReadonlySet<number>): ViewRead | undefined {
    if (!(view instanceof VaryMarker) && !(view instanceof MalformedView) && !statusCodes.has(view.status)) {
      view = new MalformedView(`status ${view.status}, which the route does not store`);
    }
    if (!(view instanceof MalformedView)) return { view, stale };
    this.#malformed++;
    this.#malformedLog.record(`a stored view of ${request.routeOptions.url ?? 'a route'} is unusable (${view.reason}); running the handler`);
    return undefined;
  }

  /**
   * The single-flight key of `lookup` for requests to `host`: the cache's full backend key (prefix
   * and safe-key step, as getOrSet's flights) and the Host (which never holds a line feed).
   */
  #leaderKey(host: string, lookup: string): string {
    return `${host}\n${this.#cache.backendKey(lookup)}`;
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

  /** Stores in the background (with the route's grace), so a slow cache never delays the response; failures are logged. */
  #store(key: string, value: string, rule: ViewCacheRule, request: FastifyRequest): Promise<void> | undefined {
    // Two bytes per UTF-16 code unit: what the string holds in memory until it is written.
    const bytes = value.length * 2;
    if (this.#pendingWriteBytes + bytes > this.#maxPendingWriteBytes) {
      request.log.debug('larder: response not cached: the writes already waiting for the cache are at their byte bound');
      return undefined;
    }
    this.#pendingWriteBytes += bytes;
    const write = this.#cache
      .set(key, value, { ...(rule.ttl === undefined ? {} : { ttl: rule.ttl }), grace: rule.policy.graceSeconds })
      .then(
        () => undefined,
        (error: unknown) => request.log.warn({ err: error }, 'larder: response not cached'),
      )
      .finally(() => {
        this.#writes.delete(write);
        this.#pendingWriteBytes -= bytes;
      });
    this.#writes.add(write);
    return write;
  }
}

/** Bounds of a view cache's in-process state. */
export interface ViewCacheBounds extends DecoderBounds {
  /** Bytes of responses waiting to be written to the cache at once (default 64 MiB). */
  maxPendingWriteBytes?: number;
}

const DEFAULT_PENDING_WRITE_BYTES = 64 * 1024 * 1024;

/** The variant list of a page stored for another Host than the one at the key. */
const HOST_ONLY: readonly string[] = Object.freeze([HOST_VARIANT]);


const noInjector: Injector = () => Promise.reject(new Error('this view cache was made without an injector, so it cannot refresh stale pages'));

/** Skips the cache for this request: the handler runs and its response is not stored. */
function bypass(reply: FastifyReply, stats: ViewRouteStats): undefined {
  stats.bypasses++;
  reply.header('x-cache', 'BYPASS');
  return undefined;
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
