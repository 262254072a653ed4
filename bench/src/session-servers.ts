// The server process of the session benchmark: three Fastify apps with the same session routes,
// one on @fastify/session's built-in memory store, one on MemcachedStore on memcached (plain
// JSON), one on MemcachedStore on memcached with sealed sessions. Prints its ports as one JSON
// line on stdout, then serves until killed.
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { MemcachedStore } from '@larder/session-store';
import { listenAndReportPorts } from './server-process.js';
import Fastify, { type FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface Session {
    visits?: number;
    user?: string;
  }
}

const memcached = process.env.BENCH_MEMCACHED;
if (!memcached) throw new Error('BENCH_MEMCACHED (host:port) is required');
const SECRET = 'session benchmark secret of at least 32 characters';
/** The secret the sealed store seals with (its own, as an app's would be). */
const SEAL_SECRET = 'session benchmark sealing secret, 32 characters or more';

/**
 * An app whose `/visit` reads the session and writes it back changed, `/me` reads it and
 * changes nothing (with `rolling`, @fastify/session still saves it: the store touches it);
 * `/login` starts one.
 */
async function sessionApp(store?: fastifySession.SessionStore): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret: SECRET, saveUninitialized: false, rolling: true, cookie: { secure: false, maxAge: 86_400_000 }, ...(store ? { store } : {}) });
  app.post('/login', async (request) => {
    request.session.visits = 0;
    request.session.user = 'ada';
    return { ok: true };
  });
  app.get('/visit', async (request) => {
    request.session.visits = (request.session.visits ?? 0) + 1;
    return { visits: request.session.visits };
  });
  app.get('/me', async (request) => ({ user: request.session.user ?? null }));
  return app;
}

const quiet = { warn: () => {} };
const apps = {
  memory: await sessionApp(),
  memcached: await sessionApp(new MemcachedStore({ servers: memcached }, { logger: quiet })),
  sealed: await sessionApp(new MemcachedStore({ servers: memcached }, { logger: quiet, secret: SEAL_SECRET })),
};
await listenAndReportPorts(apps);
