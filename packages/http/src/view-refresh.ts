import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHeaders } from './http-rules.js';
import { RefreshBackoff } from './refresh-backoff.js';

/** Runs a request through the app once more, as Fastify's `app.inject` does. */
export type Injector = (request: { method: 'GET'; url: string; headers: Record<string, string | string[]>; remoteAddress?: string }) => PromiseLike<InjectedResponse>;

/** What an Injector answers: the status, and, when the framework gives them (Fastify's inject), the headers and body. */
export interface InjectedResponse {
  statusCode: number;
  headers?: Readonly<Record<string, string | string[] | number | undefined>>;
  rawPayload?: Buffer;
}

/** A refresh whose response was not stored; `response` is that response, when the injector gave it whole. */
export class RefreshNotStored extends Error {
  /** The response the refresh got. */
  readonly response: InjectedResponse;

  constructor(response: InjectedResponse) {
    super(`the handler answered ${response.statusCode}, which is not stored`);
    this.name = 'RefreshNotStored';
    this.response = response;
  }
}

/** The header that marks a refresh request; its value holds a per-process secret, so a client cannot send one. */
export const REFRESH_HEADER = 'x-larder-refresh';

// Headers of the stale request that describe its connection or body, not what it asks for; and
// its conditions and ranges (a refresh must get the whole page, not a 304 or a 206).
const NOT_COPIED = new Set(['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'content-length', 'expect', 'te', 'trailer', 'proxy-connection', REFRESH_HEADER]);

/** The writes of one refresh request, which the refresh waits for before it lets the lock go. */
export type RefreshWrites = Array<Promise<void>>;

/**
 * How a stale page is refreshed. A stale page is answered at once; its refresh (a background
 * flight of core's engine, which takes the page's lock, bounds how many run, and reports or
 * deletes on failure) runs the request through the app again (`inject`) with the stale request's
 * headers and a header whose secret makes the response cache run the handler and store the
 * response (route hooks, such as authentication, run as for any request). A refresh whose handler
 * does not give a storable page (a 5xx, a throw) fails, and the page is not refreshed again for
 * a while (see RefreshBackoff): its stale page is served meanwhile.
 */
export class ViewRefresher {
  readonly #inject: Injector;
  readonly #secret = randomBytes(18).toString('base64url');
  readonly #writes = new Map<string, RefreshWrites>();
  readonly #backoff: RefreshBackoff;
  #nextId = 0;

  constructor(inject: Injector, backoff = new RefreshBackoff()) {
    this.#inject = inject;
    this.#backoff = backoff;
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

  /**
   * The refresh of the page `page` (its flight: audience and key) of the request for `url` with
   * `requestHeaders`: runs it again and waits for its writes; rejects when it stored nothing, or
   * has not ended within the lock's lease (`leaseMs`: a handler that hangs gives its slot back).
   * Undefined while the page's last refresh failed recently: it is served stale as it is.
   */
  refresh(page: string, url: string, requestHeaders: RequestHeaders, remoteAddress: string | undefined, conditions?: Readonly<Record<string, string>>): ((leaseMs: number) => Promise<void>) | undefined {
    if (!this.#backoff.allows(page)) return undefined;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(requestHeaders)) if (value !== undefined && !NOT_COPIED.has(name)) headers[name] = value;
    // A revalidation (freshness from the response): the stored response's validators, so the handler may answer 304.
    if (conditions !== undefined) Object.assign(headers, conditions);
    return (leaseMs) =>
      this.#run(url, headers, remoteAddress, leaseMs).then(
        () => this.#backoff.succeeded(page),
        (error: unknown) => {
          this.#backoff.failed(page);
          throw error;
        },
      );
  }

  /** Runs the refresh request and waits for its writes (see `refresh`). */
  async #run(url: string, headers: Record<string, string | string[]>, remoteAddress: string | undefined, leaseMs: number): Promise<void> {
    const id = String(this.#nextId++);
    const writes: RefreshWrites = [];
    this.#writes.set(id, writes);
    try {
      // From the stale request's own address, so the app trusts (or not) its forwarded headers as it did.
      const injected = this.#inject({ method: 'GET', url, headers: { ...headers, [REFRESH_HEADER]: `${this.#secret}.${id}` }, ...(remoteAddress === undefined ? {} : { remoteAddress }) });
      const response = await withDeadline(Promise.resolve(injected), leaseMs);
      await Promise.all(writes);
      // Nobody waits on a background refresh: only the refresh-failure log line sees this error.
      if (writes.length === 0) return await Promise.reject(new RefreshNotStored(response));
    } finally {
      this.#writes.delete(id);
    }
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
