// `node --import tsx src/profile/inproc-hit.ts [target...]`: the JavaScript cost of one request to
// a cached page, in process, without sockets: each request is a real IncomingMessage and
// ServerResponse on an unconnected socket (Node keeps what would be written), run through the app's
// request listener. Kernel, parser and client work, the same for every route, are left out, so two
// targets differ by what their own code costs. Interleaved rounds; medians, and every round's figure.
// Targets: express/cached (cacheResponse), express/hit-shaped (what a hit sends, from a plain
// route), express/empty (res.end()), apicache/cached, fastify/cached, fastify/plain, fastify/hit-shaped.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import apicache from 'apicache';
import express from 'express';
import Fastify from 'fastify';
import { Cache, MemoryBackend } from '@larder/core';
import { cacheResponse, larder } from '@larder/express';
import larderFastify from '@larder/fastify-plugin';
import { HIT_HEADERS, PAGE } from '../http-body.js';
import { renderPage } from '../curves/page.js';

type Listener = (request: IncomingMessage, response: ServerResponse) => void;

const socket = new Socket();
function run(listener: Listener, url: string): ServerResponse {
  const request = new IncomingMessage(socket);
  request.method = 'GET';
  request.url = url;
  request.headers = { host: '127.0.0.1:3000', 'user-agent': 'autocannon', accept: '*/*' };
  request.rawHeaders = ['host', '127.0.0.1:3000', 'user-agent', 'autocannon', 'accept', '*/*'];
  request.push(null);
  const response = new ServerResponse(request);
  listener(request, response);
  return response;
}

// Express 5 with the benchmark's ~8 KB page (as http-express.ts).
const pageBytes = Buffer.from(PAGE);
const expressApp = express();
larder(expressApp);
expressApp.get('/cached', cacheResponse({ ttl: 300 }), (_request, response) => void response.send(PAGE));
const EXPRESS_HIT_HEADERS = { 'content-type': 'text/html; charset=utf-8', ...HIT_HEADERS, 'content-length': String(pageBytes.length) };
expressApp.get('/hit-shaped', (_request, response) => {
  for (const [name, value] of Object.entries(EXPRESS_HIT_HEADERS)) response.setHeader(name, value);
  response.end(pageBytes);
});
expressApp.get('/empty', (_request, response) => void response.end());
const apicacheApp = express();
apicacheApp.get('/cached', apicache.middleware('5 minutes'), (_request, response) => void response.send(PAGE));

// Fastify 5 with a ~1 KiB page (as curve-size.ts's smallest).
const small = renderPage(1);
const fastify = Fastify();
await fastify.register(larderFastify, { cache: new Cache({ backend: new MemoryBackend() }) });
fastify.get('/plain', async (_request, reply) => reply.type('text/html').send(small.slice(0, -1) + small.slice(-1)));
fastify.get('/cached', { config: { cache: { ttl: 0 } } }, async (_request, reply) => reply.type('text/html').send(small.slice(0, -1) + small.slice(-1)));
const smallBytes = Buffer.from(small);
fastify.get('/hit-shaped', async (_request, reply) => reply.type('text/html').headers(HIT_HEADERS).send(smallBytes));
await fastify.ready();
const fastifyListener = fastify.routing as unknown as Listener;

const targets: Record<string, [Listener, string]> = {
  'express/cached': [expressApp as unknown as Listener, '/cached'],
  'express/hit-shaped': [expressApp as unknown as Listener, '/hit-shaped'],
  'express/empty': [expressApp as unknown as Listener, '/empty'],
  'apicache/cached': [apicacheApp as unknown as Listener, '/cached'],
  'fastify/cached': [fastifyListener, '/cached'],
  'fastify/plain': [fastifyListener, '/plain'],
  'fastify/hit-shaped': [fastifyListener, '/hit-shaped'],
};
const chosen = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(targets);
for (const name of chosen) if (targets[name] === undefined) throw new Error(`unknown target ${name}: one of ${Object.keys(targets).join(', ')}`);
// Fill the caches, letting every asynchronous step of the first requests settle.
for (const name of chosen) {
  const [listener, url] = targets[name]!;
  for (let i = 0; i < 3; i++) {
    run(listener, url);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Larder's routes must be hits by now (Node keeps the head it would have written in `_header`).
  const checked = run(listener, url) as unknown as { _header?: unknown };
  await new Promise((resolve) => setImmediate(resolve));
  if (name.endsWith('/cached') && !name.startsWith('apicache') && !/x-cache: HIT/i.test(String(checked._header))) throw new Error(`${name} is not a hit`);
}
const N = 50_000;
const rounds = Number(process.env.PROFILE_ROUNDS ?? '7');
const samples = new Map<string, number[]>(chosen.map((name) => [name, []]));
for (let round = -1; round < rounds; round++) {
  for (const name of chosen) {
    const [listener, url] = targets[name]!;
    const start = process.cpuUsage();
    for (let i = 0; i < N; i++) run(listener, url);
    // Fastify answers through promises: they run before the clock stops.
    await new Promise((resolve) => setImmediate(resolve));
    const used = process.cpuUsage(start);
    if (round >= 0) samples.get(name)!.push((used.user + used.system) / N);
  }
}
for (const [name, values] of samples) {
  const sorted = [...values].sort((a, b) => a - b);
  console.log(`${name.padEnd(18)} ${sorted[sorted.length >> 1]!.toFixed(2)} µs per request (${values.map((v) => v.toFixed(1)).join(' ')})`);
}
process.exit(0);
