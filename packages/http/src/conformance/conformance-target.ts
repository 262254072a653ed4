import type { IncomingHttpHeaders } from 'node:http';
import type { Cache } from '@larder/core';
import type { ResponseCacheSettings } from '../cache-rule.js';

// The contract between the response cache conformance suite and one web framework: the suite
// describes routes framework-neutrally, the target declares them in a real app of its framework
// (with the framework's own route syntax, reply API and the Larder adapter), and the suite talks to
// it over real HTTP. Kept to what both Fastify and Express can give in a few lines.

/** A request as a conformance handler sees it, whatever the framework. */
export interface ConformanceRequest {
  /** The method, upper-case (a HEAD request reaches the GET route's handler). */
  readonly method: string;
  /** Path and query as received (`/q?b=2&a=1`). */
  readonly url: string;
  /** The route's `:name` parameters, as the framework decodes them (a trailing `*` is not one). */
  readonly params: Readonly<Record<string, string>>;
  /** The request headers, lower-case names. */
  readonly headers: IncomingHttpHeaders;
  /** The request's session, in a run under a session middleware (see `responseCacheSessionConformance`). */
  readonly session?: ConformanceSession;
}

/** A session middleware's session, as a conformance handler reads and writes it (`req.session.x`, `request.session.get('x')`). */
export interface ConformanceSession {
  /** The value stored under `name`, or undefined. */
  get(name: string): unknown;
  /** Stores `value` under `name` (the middleware then saves the session and sets its cookie). */
  set(name: string, value: string): void;
}

/** What a conformance handler answers; the target sends it with its framework's reply API (`reply.code().headers().send()`, `res.status().set().send()`). */
export interface ConformanceReply {
  /** The status code. */
  readonly status: number;
  /** Headers to set (always a Content-Type, so no framework default differs). */
  readonly headers: Readonly<Record<string, string>>;
  /** The body, sent whole: text, or bytes. */
  readonly body: string | Buffer;
}

/** One route the target declares, with the cache settings given and the suite's handler. */
export interface ConformanceRoute {
  /** `GET` (its HEAD is the framework's, from the GET route, as both do by default) or `POST`. */
  readonly method: 'GET' | 'POST';
  /** The pattern: literal segments, `:name` parameters, and a last segment `*` matching the rest of the path (Fastify `*`, Express 4 `*`, Express 5 `*rest`). */
  readonly path: string;
  /** The route's response cache settings (Fastify `config: { cache }`, Express `cacheResponse(settings)`); undefined for a route the cache is not on (a POST beside a cached GET). */
  readonly settings: ResponseCacheSettings<unknown> | undefined;
  /** The handler: the target calls it once per request that reaches the handler and sends what it resolves to. */
  handle(request: ConformanceRequest): ConformanceReply | Promise<ConformanceReply>;
}

/** An app the target started. */
export interface StartedApp {
  /** Where it listens: `http://127.0.0.1:<port>`. */
  readonly base: string;
  /** Stops listening and closes the app and its Larder integration (waiting for its cache writes); the cache stays open. */
  close(): Promise<void>;
}

/** The cache one run of the suite uses, with its clock. */
export interface ConformanceCache {
  /** The Cache the app is started on; the suite closes it. */
  readonly cache: Cache;
  /** True when `advance` moves a fake clock of the backend (no real wait). */
  readonly fakeClock: boolean;
  /** Lets `seconds` pass for the backend's ttl: a fake clock (MemoryBackend) or a real wait (memcached). */
  advance(seconds: number): Promise<void>;
  /** Remaining ttl in whole seconds as the store reports it for a full backend key, when it can tell (memcached's `mg <key> t`). */
  remainingTtl?(backendKey: string): Promise<number | undefined>;
  /** Stops what the cache needed (a memcached server), after the suite closed the cache. */
  dispose(): Promise<void>;
}

/** A framework the suite runs against: its name, the cache to use, and how to start an app of it. */
export interface ResponseCacheTarget {
  /** Names the run (`Fastify 5 on memcached`). */
  readonly name: string;
  /** The cache for this run (see `memoryConformanceCache`, or one on a real memcached). */
  openCache(): Promise<ConformanceCache>;
  /** Builds a real app of the framework with Larder on `cache`, declares `routes` in order, and listens on 127.0.0.1 port 0. */
  start(routes: readonly ConformanceRoute[], cache: Cache): Promise<StartedApp>;
}
