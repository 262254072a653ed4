// The server process of the HTTP benchmarks: one process, several Fastify apps on loopback
// ports, each route sending the same body. Started by http-bench-process.ts; prints its ports
// as one JSON line on stdout, then serves until killed.
import memjs from 'memjs';
import { listenAndReportPorts } from './server-process.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { Cache, MemcachedBackend, MemoryBackend } from '@larder/core';
import larder from '@larder/fastify-plugin';
import { BODY, HAND_KEY, HIT_HEADERS } from './http-body.js';
import { larderMetrics } from '@larder/metrics/prometheus';
import { Registry } from 'prom-client';

const memcached = process.env.BENCH_MEMCACHED;
if (!memcached) throw new Error('BENCH_MEMCACHED (host:port) is required');

let coldCalls = 0;

const BODY_BYTES = Buffer.from(BODY);

/** The app on the memory backend: the plain route (the ceiling), a view-cached one, and a plain route sending what a hit sends. */
async function memoryApp(): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(larder, { cache: new Cache({ backend: new MemoryBackend() }) });
  app.get('/plain', async (_request, reply) => reply.type('application/json').send(BODY));
  app.get('/cached', { config: { cache: { ttl: 0 } } }, async (_request, reply) => reply.type('application/json').send(BODY));
  app.get('/hit-shaped', async (_request, reply) => reply.type('application/json').headers(HIT_HEADERS).send(BODY_BYTES));
  app.get('/cold/:round', { config: { cache: { ttl: 0 } } }, async (_request, reply) => {
    coldCalls++;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return reply.type('application/json').send(BODY);
  });
  app.get('/cold-calls', async () => ({ calls: coldCalls }));
  return app;
}

/** The app on memcached: a view-cached route, and a hand-written route doing one memjs get per request. */
async function memcachedApp(): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(larder, { backend: new MemcachedBackend({ servers: memcached! }) });
  const raw = memjs.Client.create(memcached, { logger: { log: () => {} } });
  await raw.set(HAND_KEY, BODY, { expires: 0 });
  app.get('/cached', { config: { cache: { ttl: 0 } } }, async (_request, reply) => reply.type('application/json').send(BODY));
  app.get('/hand', async (_request, reply) => {
    const { value } = await raw.get(HAND_KEY);
    return reply.type('application/json').send(value ? value.toString() : BODY);
  });
  app.addHook('onClose', async () => raw.close());
  return app;
}

/** The app on memcached with a near cache: the same view-cached route. */
async function nearApp(): Promise<FastifyInstance> {
  const app = Fastify();
  // Its own prefix: the memcached app's page at the same path was stored for another Host (port).
  await app.register(larder, { backend: new MemcachedBackend({ servers: memcached! }), near: true, keyPrefix: 'near/' });
  app.get('/cached', { config: { cache: { ttl: 0 } } }, async (_request, reply) => reply.type('application/json').send(BODY));
  return app;
}

/** The memory app's view-cached route with Larder's Prometheus metrics on (cache, views) and a /metrics route. */
async function metricsApp(): Promise<FastifyInstance> {
  const app = Fastify();
  const cache = new Cache({ backend: new MemoryBackend() });
  await app.register(larder, { cache });
  app.get('/cached', { config: { cache: { ttl: 0 } } }, async (_request, reply) => reply.type('application/json').send(BODY));
  const registry = new Registry();
  const metrics = larderMetrics({ registry });
  metrics.observeCache(cache, { name: 'bench' });
  metrics.observeViews(app, { name: 'bench' });
  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return app;
}

const apps = { memory: await memoryApp(), memcached: await memcachedApp(), near: await nearApp(), metrics: await metricsApp() };
await listenAndReportPorts(apps);
