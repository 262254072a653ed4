// The server process of the session benchmark: two Fastify apps with the same session route,
// one on @fastify/session's built-in memory store, one on MemcachedStore on memcached.
// Prints its ports as one JSON line on stdout, then serves until killed.
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { MemcachedStore } from '@larder/session-store';
import { listenAndReportPorts } from './server-process.js';
import Fastify, { type FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface Session {
    visits?: number;
  }
}

const memcached = process.env.BENCH_MEMCACHED;
if (!memcached) throw new Error('BENCH_MEMCACHED (host:port) is required');
const SECRET = 'session benchmark secret of at least 32 characters';

/** An app whose `/visit` reads the session and writes it back changed; `/login` starts one. */
async function sessionApp(store?: fastifySession.SessionStore): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret: SECRET, saveUninitialized: false, cookie: { secure: false, maxAge: 86_400_000 }, ...(store ? { store } : {}) });
  app.post('/login', async (request) => {
    request.session.visits = 0;
    return { ok: true };
  });
  app.get('/visit', async (request) => {
    request.session.visits = (request.session.visits ?? 0) + 1;
    return { visits: request.session.visits };
  });
  return app;
}

const apps = { memory: await sessionApp(), memcached: await sessionApp(new MemcachedStore({ servers: memcached }, { logger: { warn: () => {} } })) };
await listenAndReportPorts(apps);
