import { randomBytes, timingSafeEqual } from 'node:crypto';
import { MAX_BACKGROUND_REFRESHES, refreshLockMs, type Cache, type RecomputePolicy } from '@larder/core';
import type { RequestHeaders } from './http-rules.js';

/** Runs a request through the app once more, as Fastify's `app.inject` does. */
export type Injector = (request: { method: 'GET'; url: string; headers: Record<string, string | string[]>; remoteAddress?: string }) => PromiseLike<{ statusCode: number }>;

/** The header that marks a refresh request; its value holds a per-process secret, so a client cannot send one. */
export const REFRESH_HEADER = 'x-larder-refresh';

// Headers of the stale request that describe its connection or body, not what it asks for; and
// its conditions and ranges (a refresh must get the whole page, not a 304 or a 206).
const NOT_COPIED = new Set(['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'content-length', 'expect', 'te', 'trailer', 'proxy-connection', REFRESH_HEADER]);

/** The writes of one refresh request, which the refresh waits for before it lets the lock go. */
export type RefreshWrites = Array<Promise<void>>;

/**
 * Background refreshes of stale pages. A stale page is answered at once; its refresh runs the
 * request through the app again (`inject`) with the stale request's headers and a header whose
 * secret makes the view cache run the handler and store the response (route hooks, such as
 * authentication, run as for any request). One refresh per page at a time in this process, and
 * one in the cluster: on memcached the refresh first takes the page's lock and gives up when
 * another process holds it. A refresh whose handler does not give a storable page (a 5xx, a
 * throw) leaves the stale page in place until its grace ends, logged once per burst; with
 * `staleIfError: false` it deletes the stale page instead, so the next request runs the handler.
 * At most MAX_BACKGROUND_REFRESHES run at once.
 */
export class ViewRefresher {
  readonly #cache: Cache;
  readonly #inject: Injector;
  readonly #secret = randomBytes(18).toString('base64url');
  readonly #running = new Set<string>();
  readonly #writes = new Map<string, RefreshWrites>();
  readonly #tasks = new Set<Promise<void>>();
  #nextId = 0;

  constructor(cache: Cache, inject: Injector) {
    this.#cache = cache;
    this.#inject = inject;
  }

  /**
   * For a refresh request of this process, the list its writes go into; undefined for any
   * other request. The header is removed either way, so a handler never sees it.
   */
  claim(headers: RequestHeaders): RefreshWrites | undefined {
    const value = headers[REFRESH_HEADER];
    if (value === undefined) return undefined;
    delete (headers as Record<string, unknown>)[REFRESH_HEADER];
    if (typeof value !== 'string') return undefined;
    const dot = value.lastIndexOf('.');
    const given = Buffer.from(value.slice(0, Math.max(dot, 0)));
    const secret = Buffer.from(this.#secret);
    if (given.length !== secret.length || !timingSafeEqual(given, secret)) return undefined;
    return this.#writes.get(value.slice(dot + 1));
  }

  /** Refreshes the page of the request for `url` with `requestHeaders`, stored at `lookup` (flight `flight`), unless a refresh of it runs. */
  start(flight: string, lookup: string, url: string, requestHeaders: RequestHeaders, remoteAddress: string | undefined, policy: RecomputePolicy): void {
    // Bounded as core's refreshes are: past the bound the page stays stale until a later request.
    if (this.#running.has(flight) || this.#running.size >= MAX_BACKGROUND_REFRESHES) return;
    this.#running.add(flight);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(requestHeaders)) if (value !== undefined && !NOT_COPIED.has(name)) headers[name] = value;
    const task = this.#refresh(lookup, url, headers, remoteAddress, policy).finally(() => {
      this.#running.delete(flight);
      this.#tasks.delete(task);
    });
    this.#tasks.add(task);
  }

  /** Waits for the refreshes under way (before the cache closes). */
  async drain(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  async #refresh(lookup: string, url: string, headers: Record<string, string | string[]>, remoteAddress: string | undefined, policy: RecomputePolicy): Promise<void> {
    const lockMs = refreshLockMs(policy);
    const lock = await this.#cache.tryLock(lookup, lockMs);
    if (lock?.status === 'held') return;
    const id = String(this.#nextId++);
    const writes: RefreshWrites = [];
    this.#writes.set(id, writes);
    try {
      // From the stale request's own address, so the app trusts (or not) its forwarded headers as it did.
      const injected = this.#inject({ method: 'GET', url, headers: { ...headers, [REFRESH_HEADER]: `${this.#secret}.${id}` }, ...(remoteAddress === undefined ? {} : { remoteAddress }) });
      // A refresh that never ends (a handler that hangs) gives its slot back after the lock's time.
      const response = await withDeadline(Promise.resolve(injected), lockMs);
      await Promise.all(writes);
      if (writes.length === 0) await this.#failed(lookup, new Error(`the handler answered ${response.statusCode}, which is not stored`), policy);
    } catch (error) {
      await this.#failed(lookup, error, policy);
    } finally {
      this.#writes.delete(id);
      if (lock?.status === 'acquired') await lock.release();
    }
  }

  async #failed(lookup: string, error: unknown, policy: RecomputePolicy): Promise<void> {
    this.#cache.refreshFailed(error);
    if (!policy.staleIfError) await this.#cache.remove(lookup).catch(() => {});
  }
}

/** `work`, rejected once `ms` have passed without it settling. */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the refresh did not end within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
