import fastifyCompress from '@fastify/compress';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifySecureSession from '@fastify/secure-session';
import fastifySession from '@fastify/session';
import { memoryConformanceCache, responseCacheConformance, responseCacheSessionConformance } from '@larder/http/conformance';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { memcachedConformanceCache, startConformanceApp, type FastifyStack } from './conformance-app.js';

// The response cache conformance suite and the session cases on the plugins Fastify apps really
// run, registered before Larder as their documentation shows. @fastify/session and
// @fastify/secure-session set their cookie in an app-wide onSend hook; @fastify/compress
// compresses in a route onSend hook, after Larder's.

const SECRET = 'a test secret that is long enough to sign cookies';

/** The session of @fastify/session or @fastify/secure-session, both `get(name)` / `set(name, value)`. */
function sessionOf(request: FastifyRequest) {
  const held = (request as unknown as { session: { get(name: string): unknown; set(name: string, value: unknown): void } }).session;
  return { get: (name: string) => held.get(name), set: (name: string, value: string) => held.set(name, value) };
}

async function common(app: FastifyInstance): Promise<void> {
  await app.register(fastifyHelmet);
  await app.register(fastifyCompress);
}

const withSession = (saveUninitialized: boolean): FastifyStack => ({
  name: `@fastify/session (saveUninitialized: ${saveUninitialized}), @fastify/helmet, @fastify/compress`,
  register: async (app) => {
    await common(app);
    await app.register(fastifyCookie);
    await app.register(fastifySession, { secret: SECRET, saveUninitialized, cookie: { secure: false } });
  },
  session: sessionOf,
});

const withSecureSession: FastifyStack = {
  name: '@fastify/secure-session, @fastify/helmet, @fastify/compress',
  register: async (app) => {
    await common(app);
    await app.register(fastifySecureSession, { secret: SECRET, salt: 'mq9hDxBVDbspDR6n', cookie: { path: '/' } });
  },
  session: sessionOf,
};

const caches = [['memory', memoryConformanceCache], ['memcached', memcachedConformanceCache]] as const;

for (const stack of [withSession(false), withSecureSession]) {
  for (const [backend, openCache] of caches) {
    const name = `Fastify 5 + ${stack.name} on ${backend}`;
    const start = (routes: Parameters<typeof startConformanceApp>[0], cache: Parameters<typeof startConformanceApp>[1]) => startConformanceApp(routes, cache, stack);
    responseCacheConformance({ name, openCache, start });
    responseCacheSessionConformance({ name, openCache, start, cookieOnEveryVisit: false });
  }
}
// Every first visit gets a cookie: no page can be shared, and none is (the conformance suite, which expects shared pages, does not apply).
const everyVisit = withSession(true);
for (const [backend, openCache] of caches) {
  responseCacheSessionConformance({ name: `Fastify 5 + ${everyVisit.name} on ${backend}`, openCache, start: (routes, cache) => startConformanceApp(routes, cache, everyVisit), cookieOnEveryVisit: true });
}
