// The server process of the page-size curve: a Fastify app on the memory backend with a plain
// route and a view-cached route rendering the same page of :kb KiB, and the same cached route on
// memcached with a near cache. Prints its ports as one JSON line, then serves until killed.
import Fastify, { type FastifyInstance } from 'fastify';
import { Cache, MemcachedBackend, MemoryBackend } from '@larder/core';
import larder from '@larder/fastify-plugin';
import { listenAndReportPorts } from '../server-process.js';
import { renderPage } from './page.js';

const memcached = process.env.BENCH_MEMCACHED;
if (!memcached) throw new Error('BENCH_MEMCACHED (host:port) is required');

type PageRequest = { Params: { kb: string } };

function addPageRoutes(app: FastifyInstance, plain: boolean): void {
  if (plain) app.get<PageRequest>('/plain/:kb', async (request, reply) => reply.type('text/html; charset=utf-8').send(renderPage(Number(request.params.kb))));
  app.get<PageRequest>('/cached/:kb', { config: { cache: { ttl: 0 } } }, async (request, reply) => reply.type('text/html; charset=utf-8').send(renderPage(Number(request.params.kb))));
}

const memory = Fastify();
await memory.register(larder, { cache: new Cache({ backend: new MemoryBackend() }) });
addPageRoutes(memory, true);

const near = Fastify();
await near.register(larder, { backend: new MemcachedBackend({ servers: memcached }), near: true });
addPageRoutes(near, false);

await listenAndReportPorts({ memory, near });
