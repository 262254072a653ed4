import type { Cache } from '@larder/core';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, preHandlerAsyncHookHandler } from 'fastify';
import { viewKey } from '../view-key.js';
import { captureResponse, encodeResponse, replayResponse, ResponseDecoder, whyNotCacheable, type CachedResponse } from './cached-response.js';
import type { ViewCacheRule } from './route-config.js';

/** The hooks that cache one route's responses. */
export interface ViewCacheHooks {
  preHandler: preHandlerAsyncHookHandler;
  onSend: (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) => void;
  onResponse: (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;
  onRequestAbort: (request: FastifyRequest, done: HookHandlerDoneFunction) => void;
}

/** A request that missed and runs the handler: its key and, when it leads, how to hand its response to waiters. */
interface MissState {
  key: string;
  settle: ((entry: CachedResponse | undefined) => void) | undefined;
}

/**
 * Whole-response caching (Flask-Caching's `@cache.cached()`): a hit is replayed by the route's
 * last preHandler hook, so every hook before it (authentication too) still runs and only the
 * handler is skipped; a miss runs it and stores what it sent. Concurrent misses for one key in this
 * process wait for the first one's response instead of running the handler again.
 */
export class ViewCache {
  readonly #cache: Cache;
  readonly #misses = new WeakMap<FastifyRequest, MissState>();
  readonly #leaders = new Map<string, Promise<CachedResponse | undefined>>();
  readonly #writes = new Set<Promise<void>>();
  readonly #decoder = new ResponseDecoder();

  constructor(cache: Cache) {
    this.#cache = cache;
  }

  /** Hooks for a route cached under `rule`. */
  hooksFor(rule: ViewCacheRule): ViewCacheHooks {
    const misses = this.#misses;
    // Replying from an async hook is done as Fastify documents it: send, then return the reply.
    const preHandler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
      if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
      if (rule.unless?.(request)) return undefined;
      const key = rule.key ? rule.key(request) : viewKey(pathOf(request.url), rule.queryString ? (request.query as Record<string, unknown>) : undefined);
      let running = this.#leaders.get(key);
      if (!running) {
        const stored = await this.#read(key, request);
        if (stored) return replayResponse(reply, stored, 'HIT');
        // No await between this check and #lead: of the requests that missed, exactly one leads.
        running = this.#leaders.get(key);
        if (!running) {
          misses.set(request, { key, settle: this.#lead(key) });
          return undefined;
        }
      }
      const shared = await running;
      if (shared) return replayResponse(reply, shared, 'HIT');
      misses.set(request, { key, settle: undefined });
      return undefined;
    };
    // onSend, onResponse and onRequestAbort run on every request of the route, hits too: they are
    // callback hooks, which cost less than async ones.
    const onSend: ViewCacheHooks['onSend'] = (request, reply, payload, done) => {
      const miss = misses.get(request);
      if (!miss) return done(null, payload);
      misses.delete(request);
      reply.header('x-cache', 'MISS');
      const refused = whyNotCacheable(reply, payload, rule.statusCodes);
      if (refused !== undefined) {
        request.log.debug(`larder: response of ${request.routeOptions.url ?? request.url} not cached: ${refused}`);
        miss.settle?.(undefined);
        return done(null, payload);
      }
      const entry = captureResponse(reply, payload as string | Buffer);
      miss.settle?.(entry);
      this.#store(miss.key, entry, rule.ttl, request);
      return done(null, payload);
    };
    // A request that led and ended without onSend (aborted, hijacked) must still release its waiters.
    const release = (request: FastifyRequest): void => {
      const miss = misses.get(request);
      if (!miss) return;
      misses.delete(request);
      miss.settle?.(undefined);
    };
    return {
      preHandler,
      onSend,
      onResponse: (request, _reply, done) => {
        release(request);
        done();
      },
      onRequestAbort: (request, done) => {
        release(request);
        done();
      },
    };
  }

  /** Waits for the cache writes still under way (called before the cache closes). */
  async drain(): Promise<void> {
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes]);
  }

  /** The stored response for `key`; undefined when absent, unreadable or not a response. */
  async #read(key: string, request: FastifyRequest): Promise<CachedResponse | undefined> {
    try {
      return this.#decoder.decode(key, await this.#cache.get(key));
    } catch (error) {
      request.log.warn({ err: error }, 'larder: view cache read failed; running the handler');
      return undefined;
    }
  }

  /** Makes the caller the one request that runs the handler for `key`; others wait for `settle`. */
  #lead(key: string): (entry: CachedResponse | undefined) => void {
    let resolve!: (entry: CachedResponse | undefined) => void;
    const outcome = new Promise<CachedResponse | undefined>((done) => (resolve = done));
    this.#leaders.set(key, outcome);
    return (entry) => {
      if (this.#leaders.get(key) === outcome) this.#leaders.delete(key);
      resolve(entry);
    };
  }

  /** Stores in the background, so a slow cache never delays the response; failures are logged. */
  #store(key: string, entry: CachedResponse, ttl: number | undefined, request: FastifyRequest): void {
    const write = this.#cache
      .set(key, encodeResponse(entry), ttl)
      .then(
        () => undefined,
        (error: unknown) => request.log.warn({ err: error }, 'larder: response not cached'),
      )
      .finally(() => this.#writes.delete(write));
    this.#writes.add(write);
  }
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
