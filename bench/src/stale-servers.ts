// The server process of the stale benchmark: one Fastify app on memcached. /fresh is a
// view-cached page that stays fresh; /grace/:round and /plain-ttl/:round expire after 1 s and
// take 200 ms to render, with and without grace. Prints its port as one JSON line.
import Fastify from 'fastify';
import { MemcachedBackend } from '@larder/core';
import larder from '@larder/fastify-plugin';
import { BODY } from './http-body.js';
import { listenAndReportPorts } from './server-process.js';

const memcached = process.env.BENCH_MEMCACHED;
if (!memcached) throw new Error('BENCH_MEMCACHED (host:port) is required');

const app = Fastify();
await app.register(larder, { backend: new MemcachedBackend({ servers: memcached }) });
const slow = async (_request: unknown, reply: { type(t: string): { send(b: string): unknown } }) => {
  await new Promise((resolve) => setTimeout(resolve, 200));
  return reply.type('application/json').send(BODY);
};
app.get('/fresh', { config: { cache: { ttl: 3600 } } }, slow);
app.get('/grace/:round', { config: { cache: { ttl: 1, grace: 3600 } } }, slow);
app.get('/plain-ttl/:round', { config: { cache: { ttl: 1 } } }, slow);
await listenAndReportPorts({ app });
