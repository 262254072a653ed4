import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import fastifyCookie, { Signer } from '@fastify/cookie';
import fastifySession from '@fastify/session';
import express from 'express';
import expressSession from 'express-session';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type LightMyRequestResponse } from 'fastify';
import { MemcachedServer } from '@larder/testing';
import { MemcachedStore, withExpressSession } from '../src/index.js';

declare module 'fastify' {
  interface Session {
    user?: string;
    visits?: number;
    padding?: string;
    cart?: string[];
  }
}

declare module 'express-session' {
  interface SessionData {
    user?: string;
    visits?: number;
    padding?: string;
    cart?: string[];
  }
}

/** What a login route takes: the user, and optionally that many random bytes (base64) stored beside it, for large sessions. */
interface LoginBody {
  user: string;
  padding?: number;
  regenerate?: boolean;
}

/** A 32+ character secret shared by every app a test builds (so a second app reads the first's cookies). */
export const SECRET = 'a-secret-of-at-least-thirty-two-characters';
/** The session cookie of the Fastify apps. */
export const FASTIFY_COOKIE = 'sessionId';
/** The session cookie of the Express apps. */
export const EXPRESS_COOKIE = 'connect.sid';

/** A logger that keeps every line, for asserting on what the store logged. */
export function captureLogger(): { logger: { warn(message: string): void }; lines: string[] } {
  const lines: string[] = [];
  return { logger: { warn: (message: string) => lines.push(message) }, lines };
}

/** A random session id shaped like @fastify/session's (32 base64url characters). */
export function randomSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/** Options of the Fastify test app. */
export interface FastifyAppOptions {
  /** Cookie options for @fastify/session (default: not secure, no maxAge). */
  cookie?: { maxAge?: number };
  /** @fastify/session's saveUninitialized (default false, as the README recommends). */
  saveUninitialized?: boolean;
  /** Fastify's own options (a logger writing into a stream, say). */
  fastify?: FastifyServerOptions;
  /** Keep Fastify's default error handler instead of the test's (which answers `{ error: code }`). */
  defaultErrorHandler?: boolean;
  /** @fastify/session's rolling (default true, as @fastify/session's own default). */
  rolling?: boolean;
  /** `/slow` reads the session, then waits for this before answering (unchanged). */
  gate?: () => Promise<void>;
}

/** A Fastify app with a route to log in, to read the session and to log out; its handled errors are kept. */
export async function buildFastifyApp(store: MemcachedStore, options: FastifyAppOptions = {}): Promise<{ app: FastifyInstance; errors: Error[] }> {
  const app = Fastify({ logger: false, ...options.fastify });
  const errors: Error[] = [];
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: SECRET,
    store,
    cookieName: FASTIFY_COOKIE,
    saveUninitialized: options.saveUninitialized ?? false,
    rolling: options.rolling ?? true,
    cookie: { secure: false, ...options.cookie },
  });
  if (!options.defaultErrorHandler) {
    app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, _request, reply) => {
      errors.push(error);
      return reply.code(error.statusCode ?? 500).send({ error: error.code ?? 'unknown' });
    });
  }
  app.post<{ Body: LoginBody }>('/login', async (request) => {
    request.session.set('user', request.body.user);
    if (request.body.padding) request.session.set('padding', randomBytes(request.body.padding).toString('base64'));
    return { ok: true };
  });
  app.get('/me', async (request) => {
    const padding = request.session.get('padding');
    return { user: request.session.get('user') ?? null, sessionId: request.session.sessionId, ...(padding ? { padding: padding.length } : {}) };
  });
  app.get('/visit', async (request) => {
    request.session.set('visits', (request.session.get('visits') ?? 0) + 1);
    return { visits: request.session.get('visits') };
  });
  app.get('/slow', async (request) => {
    const user = request.session.get('user') ?? null;
    await options.gate?.();
    return { user };
  });
  app.post<{ Body: { item: string } }>('/cart', async (request) => {
    const cart = request.session.get('cart') ?? [];
    await options.gate?.();
    request.session.set('cart', [...cart, request.body.item]);
    return { cart: request.session.get('cart') };
  });
  app.get('/cart', async (request) => ({ user: request.session.get('user') ?? null, cart: request.session.get('cart') ?? [] }));
  app.post('/logout', async (request) => {
    await request.session.destroy();
    return { ok: true };
  });
  await app.ready();
  return { app, errors };
}

/** The Fastify test app listening on 127.0.0.1 on a free port, for requests over real HTTP (with a CookieClient). */
export async function startFastifyApp(store: MemcachedStore, options: FastifyAppOptions = {}): Promise<ExpressApp> {
  const { app, errors } = await buildFastifyApp(store, options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, errors, close: () => app.close() };
}

/** The `name=value` of the session cookie a Fastify response set, for the next request's Cookie header. */
export function sessionCookie(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === FASTIFY_COOKIE);
  if (!cookie) throw new Error(`no ${FASTIFY_COOKIE} cookie in the response (status ${response.statusCode})`);
  return `${FASTIFY_COOKIE}=${cookie.value}`;
}

/** A Cookie header that @fastify/session reads as session `sessionId` (signed with SECRET). */
export function signedFastifyCookie(sessionId: string): string {
  return `${FASTIFY_COOKIE}=${encodeURIComponent(new Signer(SECRET).sign(sessionId))}`;
}

/** Logs `user` in through the Fastify app; returns the cookie and the session id. */
export async function fastifyLogin(app: FastifyInstance, user: string): Promise<{ cookie: string; sessionId: string }> {
  const login = await app.inject({ method: 'POST', url: '/login', payload: { user } });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
  const cookie = sessionCookie(login);
  const me = await app.inject({ method: 'GET', url: '/me', headers: { cookie } });
  return { cookie, sessionId: me.json<{ sessionId: string }>().sessionId };
}

/** A test app (Express 5 with express-session, or Fastify with @fastify/session) listening on 127.0.0.1 on a free port. */
export interface ExpressApp {
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  /** Errors that reached Express's error handler. */
  readonly errors: Error[];
  /** Stops the HTTP server. */
  close(): Promise<void>;
}

/** Starts the Express test app: `/login` (regenerates unless told not to, sets the user, saves), `/me`, `/logout`. */
export async function startExpressApp(
  store: MemcachedStore,
  options: { cookie?: { maxAge?: number }; bridge?: boolean; exposeMessages?: boolean; resave?: boolean; rolling?: boolean; gate?: () => Promise<void> } = {},
): Promise<ExpressApp> {
  const app = express();
  // express-session reports a save that failed in res.end to a `next` whose route has finished,
  // which reaches Express's final handler; outside env 'test' that prints the error.
  app.set('env', 'test');
  const errors: Error[] = [];
  app.use(express.json());
  app.use(
    expressSession({
      secret: SECRET,
      store: options.bridge === false ? (store as unknown as expressSession.Store) : withExpressSession(store, expressSession),
      resave: options.resave ?? false,
      rolling: options.rolling ?? false,
      saveUninitialized: false,
      cookie: options.cookie ?? {},
    }),
  );
  // Saves explicitly before answering: express-session's own save runs in res.end, after the
  // status went out, so only an explicit save lets a failed write fail the login.
  app.post('/login', (req, res, next) => {
    const { user, regenerate = true, padding } = req.body as LoginBody;
    const login = () => {
      req.session.user = user;
      if (padding) req.session.padding = randomBytes(padding).toString('base64');
      req.session.save((error) => (error ? next(error) : res.json({ ok: true })));
    };
    if (!regenerate) return login();
    req.session.regenerate((error) => (error ? next(error) : login()));
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.session.user ?? null, sessionId: req.sessionID, ...(req.session.padding ? { padding: req.session.padding.length } : {}) });
  });
  app.get('/visit', (req, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.json({ visits: req.session.visits });
  });
  app.get('/slow', (req, res, next) => {
    const user = req.session.user ?? null;
    (options.gate?.() ?? Promise.resolve()).then(() => res.json({ user }), next);
  });
  app.post('/cart', (req, res, next) => {
    const cart = req.session.cart ?? [];
    (options.gate?.() ?? Promise.resolve()).then(() => {
      req.session.cart = [...cart, (req.body as { item: string }).item];
      res.json({ cart: req.session.cart });
    }, next);
  });
  app.get('/cart', (req, res) => {
    res.json({ user: req.session.user ?? null, cart: req.session.cart ?? [] });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
  });
  app.use((error: Error & { code?: string; statusCode?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    errors.push(error);
    // exposeMessages: the common JSON API handler that sends the error's message to the client.
    res.status(error.statusCode ?? 500).json(options.exposeMessages ? { error: error.code ?? 'unknown', message: error.message } : { error: error.code ?? 'unknown' });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    errors,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Holds requests at `wait()` until `release()`; `entered()` resolves once one is held. */
export class Gate {
  #held: Array<() => void> = [];
  #waiters: Array<() => void> = [];

  /** For the app's `gate` option: parks the request. */
  readonly wait = (): Promise<void> =>
    new Promise<void>((resolve) => {
      this.#held.push(resolve);
      for (const wake of this.#waiters.splice(0)) wake();
    });

  /** Resolves once a request is parked. */
  entered(): Promise<void> {
    return this.#held.length > 0 ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Lets every parked request go on. */
  release(): void {
    for (const go of this.#held.splice(0)) go();
  }
}

/** A minimal cookie jar over fetch: keeps the cookies responses set and sends them back. */
export class CookieClient {
  readonly #cookies = new Map<string, string>();

  /** The current Cookie header. */
  get cookieHeader(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** A second jar holding the same cookies (another tab of the same browser). */
  clone(): CookieClient {
    const copy = new CookieClient();
    for (const [name, value] of this.#cookies) copy.setCookie(name, value);
    return copy;
  }

  /** Sets a cookie by hand (to send a forged or replayed one). */
  setCookie(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  /** Sends a request with the jar's cookies; returns status and parsed JSON body. */
  async request<T = Record<string, unknown>>(url: string, method = 'GET', body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (this.#cookies.size) headers.cookie = this.cookieHeader;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      this.#cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    return { status: response.status, body: (await response.json()) as T };
  }
}

/** A Cookie value that express-session reads as session `sessionId` (`s:` + id + signature, as cookie-signature makes it). */
export function signedExpressCookie(sessionId: string): string {
  const signature = createHmac('sha256', SECRET).update(sessionId).digest('base64').replace(/=+$/, '');
  return encodeURIComponent(`s:${sessionId}.${signature}`);
}

/** A store on a memcached of its own (for the test to stop or kill), logging into `lines`; both stopped after the test. */
export async function storeOnOwnServer(t: TestContext): Promise<{ server: MemcachedServer; store: MemcachedStore; lines: string[] }> {
  const server = await MemcachedServer.start();
  t.after(() => server.stop());
  const { logger, lines } = captureLogger();
  const store = new MemcachedStore({ servers: server.address, timeout: 300 }, { logger });
  t.after(() => store.close());
  return { server, store, lines };
}

/** memcached's own counters (`stats`) as numbers: `cmd_get`, `cmd_set`, `cmd_touch`, ... */
export async function memcachedStats(server: MemcachedServer): Promise<Record<string, number>> {
  return Object.fromEntries(Object.entries(await server.stats()).map(([name, value]) => [name, Number(value)]));
}

/** How much memcached's `cmd_*` counters moved while `run` ran (requests over other connections count too: use a server of the test's own). */
export async function countCommands(server: MemcachedServer, run: () => Promise<unknown>): Promise<{ sets: number; touches: number; gets: number }> {
  const before = await memcachedStats(server);
  await run();
  const after = await memcachedStats(server);
  const moved = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
  return { sets: moved('cmd_set'), touches: moved('cmd_touch'), gets: moved('cmd_get') };
}
