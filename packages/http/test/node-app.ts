import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cache } from '@larder/core';
import { ResponseCache, toCacheRule, ViewStatsTable, whenHeadSent, type CacheRule, type HttpAdapter, type ResponseCacheOption, type ResponseCacheOptions } from '../src/index.js';

/** What a route of a NodeApp sees of a request. */
export interface NodeRequest {
  readonly headers: IncomingMessage['headers'];
  readonly params: Record<string, string>;
  readonly query: Record<string, string>;
  readonly host: string;
}

/** What a handler of a NodeApp answers. */
export interface NodeReply {
  status?: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

interface Route {
  readonly pattern: string;
  readonly parts: readonly string[];
  readonly rule: CacheRule<IncomingMessage> | undefined;
  readonly handler: (request: NodeRequest) => NodeReply | Promise<NodeReply>;
}

const routes = new WeakMap<IncomingMessage, Route>();
const quietLog = { debug: () => {}, warn: () => {} };

/**
 * The smallest adapter of the response cache: Node's own http server, a route table of exact
 * segments and `:params`, handlers that return their whole reply. It lets the engine's rules be
 * tested over real HTTP without a framework; the Fastify and Express suites test their adapters.
 */
export const nodeAdapter: HttpAdapter<IncomingMessage, ServerResponse> = {
  method: (request) => request.method ?? 'GET',
  url: (request) => request.url ?? '/',
  headers: (request) => request.headers,
  host: (request) => request.headers.host ?? '',
  route: (request) => routes.get(request)?.pattern ?? '',
  remoteAddress: (request) => request.socket.remoteAddress,
  carriesSession: () => false,
  log: () => quietLog,
  send: (response, status, headers, body, label, age) => {
    response.statusCode = status;
    for (const name in headers) response.setHeader(name, headers[name]!);
    response.setHeader('x-cache', label);
    response.setHeader('age', age);
    response.end(response.req.method === 'HEAD' ? undefined : body);
  },
  setHeader: (response, name, value) => {
    if (!response.headersSent) response.setHeader(name, value);
  },
  getHeader: (response, name) => response.getHeader(name),
  onClose: (response, listener) => {
    response.once('close', listener);
  },
  onHeadersSent: (response, retract, listener) => whenHeadSent(response, retract, listener),
};

/** A node:http app with the response cache in front of its GET routes. */
export class NodeApp {
  readonly cache: Cache;
  readonly engine: ResponseCache<IncomingMessage, ServerResponse>;
  readonly #routes: Route[] = [];
  readonly #stats = new ViewStatsTable();
  readonly #server: Server;
  #base = '';

  constructor(cache: Cache, options: Omit<ResponseCacheOptions, 'inject'> = {}) {
    this.cache = cache;
    this.engine = new ResponseCache(cache, nodeAdapter, { ...options, inject: (request) => this.#inject(request) });
    this.#server = createServer((request, response) => void this.#serve(request, response));
  }

  /** Adds a GET route; `cache` is a route's `config.cache` (validated as the adapters do, E_INVALID_OPTION naming it). */
  get(pattern: string, cache: ResponseCacheOption<IncomingMessage> | undefined, handler: Route['handler']): void {
    const rule = toCacheRule<IncomingMessage>(cache, { option: 'cache', route: `GET ${pattern}`, pattern }, this.cache.recompute, this.#stats);
    const route = { pattern, parts: pattern.split('/'), rule, handler };
    // Exact routes win over routes with parameters, as in Fastify and Express's usual order.
    if (pattern.includes(':')) this.#routes.push(route);
    else this.#routes.unshift(route);
  }

  /** Listens on a free loopback port; returns the base URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.#base;
  }

  /** Stops the server after the refreshes and writes under way. */
  async close(): Promise<void> {
    await this.engine.drain();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const found = this.#match(url.pathname);
    if (found === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.statusCode = 404;
      return void response.end();
    }
    const [route, params] = found;
    routes.set(request, route);
    try {
      if (route.rule !== undefined && (await this.engine.begin(route.rule, request, response))) return;
      const reply = await route.handler({ headers: request.headers, params, query: Object.fromEntries(url.searchParams), host: request.headers.host ?? '' });
      const status = reply.status ?? 200;
      response.statusCode = status;
      for (const [name, value] of Object.entries(reply.headers ?? {})) response.setHeader(name, value);
      if (response.getHeader('content-type') === undefined) response.setHeader('content-type', typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream');
      const headers: Record<string, unknown> = { ...response.getHeaders() };
      this.engine.finish(request, response, { status, headers, body: reply.body });
      response.end(request.method === 'HEAD' ? undefined : reply.body);
    } catch (error) {
      this.engine.abandon(request);
      if (!response.headersSent) response.statusCode = 500;
      response.end(error instanceof Error ? error.message : 'error');
    }
  }

  #match(path: string): [Route, Record<string, string>] | undefined {
    const parts = path.split('/');
    for (const route of this.#routes) {
      if (route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      if (route.parts.every((part, i) => (part.startsWith(':') ? ((params[part.slice(1)] = decodeURIComponent(parts[i]!)), true) : part === parts[i]))) return [route, params];
    }
    return undefined;
  }

  /** A refresh of a stale page: the request sent to this server once more. */
  #inject(request: { url: string; headers: Record<string, string | string[]> }): Promise<{ statusCode: number }> {
    const target = new URL(request.url, this.#base);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest({ host: target.hostname, port: target.port, path: target.pathname + target.search, headers: request.headers, agent: false }, (response) => {
        response.resume();
        response.on('end', () => resolve({ statusCode: response.statusCode ?? 0 }));
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
  }
}
