import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { after, before } from 'node:test';
import { Cache, MemcachedBackend, MemoryBackend } from '@larder/core';
import type { ConformanceCache, ConformanceReply, ConformanceRequest, ConformanceRoute, ResponseCacheTarget, StartedApp } from './conformance-target.js';
import type { ResponseCacheSettings } from '../cache-rule.js';

/** A response read whole from a real socket. */
export interface ConformanceResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/**
 * One request over a new connection with exactly these headers (node:http, not fetch, which
 * adds Accept-Encoding and will not set Host), so no keep-alive socket outlives a test.
 */
export function request(base: string, path: string, headers: Readonly<Record<string, string>> = {}, method = 'GET', body?: string): Promise<ConformanceResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: url.hostname, port: url.port, path, method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, text: body.toString('utf8') });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** A text reply with a Content-Type, as the suite's handlers give them. */
export function plain(body: string, headers: Readonly<Record<string, string>> = {}, status = 200): ConformanceReply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body };
}

/** What a suite handler is given: the request and how many times this route's handler has run, this call included. */
export type SuiteHandler = (request: ConformanceRequest, calls: number) => ConformanceReply | Promise<ConformanceReply>;

/**
 * The state the suite's tests share: the routes they declare (each counting its handler's calls),
 * and once started, the app and cache. Routes are declared while the suite is defined, before the
 * app starts; the tests read `app` and `cache` when they run.
 */
export class SuiteContext {
  /** The routes declared so far, in order: what the target starts the app with. */
  readonly routes: ConformanceRoute[] = [];
  readonly #calls = new Map<string, number>();
  #app: StartedApp | undefined;
  #cache: ConformanceCache | undefined;

  /** Declares a route (its pattern unique in the suite, and the name its calls are counted under). */
  route(path: string, settings: ResponseCacheSettings<unknown> | undefined, handle: SuiteHandler, method: 'GET' | 'POST' = 'GET'): string {
    const id = `${method} ${path}`;
    if (this.#calls.has(id)) assert.fail(`conformance suite: route ${id} declared twice`);
    this.#calls.set(id, 0);
    this.routes.push({
      method,
      path,
      settings,
      handle: (request) => {
        const calls = (this.#calls.get(id) ?? 0) + 1;
        this.#calls.set(id, calls);
        return handle(request, calls);
      },
    });
    return path;
  }

  /** How many times the handler of `path` (GET unless given) has run. */
  calls(path: string, method: 'GET' | 'POST' = 'GET'): number {
    return this.#calls.get(`${method} ${path}`) ?? 0;
  }

  /** Called by the suite once the app is up. */
  started(app: StartedApp, cache: ConformanceCache): void {
    this.#app = app;
    this.#cache = cache;
  }

  /** The running app. */
  get app(): StartedApp {
    if (this.#app === undefined) assert.fail('conformance suite: the app is not started');
    return this.#app;
  }

  /** The run's cache and clock. */
  get conformance(): ConformanceCache {
    if (this.#cache === undefined) assert.fail('conformance suite: the cache is not open');
    return this.#cache;
  }

  /** The Cache the app runs on. */
  get cache(): Cache {
    return this.conformance.cache;
  }

  /** A GET (or `method`, with `body`) to the app over a new connection. */
  get(path: string, headers: Readonly<Record<string, string>> = {}, method = 'GET', body?: string): Promise<ConformanceResponse> {
    return request(this.app.base, path, headers, method, body);
  }

  /**
   * Waits until `key` is readable through the cache: responses are stored in the background after
   * they are sent, so a test that reads the cache (or depends on a write another step makes first)
   * waits for that event instead of sleeping. Bounded: fails after `ms`.
   */
  async stored(key: string, ms = 2000): Promise<void> {
    const deadline = Date.now() + ms;
    while ((await this.cache.get(key)) === undefined) {
      if (Date.now() > deadline) assert.fail(`conformance suite: ${key} was not stored within ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/**
 * A Cache on a MemoryBackend with a fake clock (`advance` moves it, no real wait), keys under the
 * prefix `conformance:` so the suite checks that view keys go through the cache's prefix.
 */
export async function memoryConformanceCache(): Promise<ConformanceCache> {
  let offset = 0;
  const backend = new MemoryBackend({ now: () => performance.now() + offset });
  const cache = new Cache({ backend, keyPrefix: 'conformance:', logger: { warn: () => {} } });
  return {
    cache,
    fakeClock: true,
    advance: async (seconds) => {
      offset += seconds * 1000;
    },
    dispose: async () => {},
  };
}

/** A memcached started for one run: @larder/testing's MemcachedServer is one. */
export interface ConformanceMemcached {
  /** `host:port` (or a socket path) to connect to. */
  readonly address: string;
  /** The ttl memcached reports for a backend key, in whole seconds. */
  remainingTtl?(key: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** A Cache on a real memcached started for the run (`MemcachedServer.start().then(memcachedConformanceCache)`): its ttl is memcached's own clock. */
export function memcachedConformanceCache(server: ConformanceMemcached): ConformanceCache {
  const backend = new MemcachedBackend({ servers: server.address, timeout: 1000 });
  return {
    cache: new Cache({ backend, keyPrefix: 'conformance:', logger: { warn: () => {} } }),
    fakeClock: false,
    advance: (seconds) => realWait(seconds * 1000),
    ...(server.remainingTtl === undefined ? {} : { remainingTtl: (key: string) => server.remainingTtl!(key) }),
    dispose: () => server.stop(),
  };
}

/** Resolves after `ms` of real time (only where time itself must pass: Age, memcached's ttl). */
export function realWait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Inside a suite's `describe`: opens the target's cache and starts its app with the routes declared so far before the tests, and closes both after them. */
export function serveSuite(ctx: SuiteContext, target: ResponseCacheTarget): void {
  let opened: ConformanceCache | undefined;
  let app: StartedApp | undefined;
  before(async () => {
    opened = await target.openCache();
    app = await target.start(ctx.routes, opened.cache);
    ctx.started(app, opened);
  });
  after(async () => {
    await app?.close();
    await opened?.cache.close();
    await opened?.dispose();
  });
}
