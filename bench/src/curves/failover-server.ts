// The server process of the failover curve: a Fastify app whose view-cached route /item/:id
// lives on a ring of memcached nodes (BENCH_MEMCACHED, comma-separated; no near cache, so every
// hit reads memcached). Each ring change is appended to BENCH_NODE_EVENTS as a JSON line with
// its wall-clock time. Prints its port as one JSON line, then serves until killed.
import { appendFileSync } from 'node:fs';
import Fastify from 'fastify';
import { MemcachedBackend } from '@larder/core';
import larder from '@larder/fastify-plugin';
import { BODY } from '../http-body.js';
import { listenAndReportPorts } from '../server-process.js';

const servers = process.env.BENCH_MEMCACHED?.split(',');
const eventsFile = process.env.BENCH_NODE_EVENTS;
if (!servers || !eventsFile) throw new Error('BENCH_MEMCACHED (host:port,...) and BENCH_NODE_EVENTS (a file) are required');

const backend = new MemcachedBackend({
  servers,
  onNodeChange: (change) => appendFileSync(eventsFile, `${JSON.stringify({ at: Date.now(), server: change.server, state: change.state, flushed: change.flushed === true })}\n`),
});
const app = Fastify();
await app.register(larder, { backend });
app.get('/item/:id', { config: { cache: { ttl: 0 } } }, async (_request, reply) => reply.type('application/json').send(BODY));
await listenAndReportPorts({ app });
