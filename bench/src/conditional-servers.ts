// The server process of the conditional-request benchmark: one Fastify app on the in-memory
// backend whose /page route (config.cache: true) sends the ~8 KB HTML page. Prints its port as
// one JSON line, then serves until stopped.
import Fastify from 'fastify';
import larder from '@larder/fastify-plugin';
import { PAGE } from './http-body.js';
import { listenAndReportPorts } from './server-process.js';

const app = Fastify();
await app.register(larder);
app.get('/page', { config: { cache: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
await listenAndReportPorts({ app });
