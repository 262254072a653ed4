import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import type { FastifyInstance } from 'fastify';
import { viewKey } from '@larder/fastify-plugin';
import { buildProxy } from '../src/proxy.js';

// The proxy example over real HTTP: an origin of node:http that counts what it answers (full
// pages, 304s) behind the proxy, on the memory backend and on a real memcached.

interface Origin {
  server: Server;
  base: string;
  full: number;
  notModified: number;
  seen: IncomingHttpHeaders[];
}

/** An origin: `/page` is fresh 60 s, `/validated` is stale at once with ETag "v1" (304 when asked with it), POST answers 204. */
async function startOrigin(): Promise<Origin> {
  const origin = { full: 0, notModified: 0, seen: [] as IncomingHttpHeaders[] } as Origin;
  origin.server = createServer((request, response) => {
    origin.seen.push(request.headers);
    if (request.method === 'POST') {
      response.writeHead(204, { location: '/page' }).end();
      return;
    }
    if (request.url === '/validated' && request.headers['if-none-match'] === '"v1"') {
      origin.notModified++;
      response.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=0', 'x-version': String(origin.notModified) }).end();
      return;
    }
    origin.full++;
    const control = request.url === '/validated' ? { 'cache-control': 'max-age=0', etag: '"v1"' } : { 'cache-control': 'max-age=60' };
    response.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive, x-hop', 'x-hop': 'dropped', ...control }).end(`render ${origin.full}`);
  });
  origin.server.listen(0, '127.0.0.1');
  await once(origin.server, 'listening');
  origin.base = `http://127.0.0.1:${(origin.server.address() as AddressInfo).port}`;
  return origin;
}

async function get(proxy: FastifyInstance, url: string, method = 'GET') {
  const response = await fetch(`${proxy.listeningOrigin}${url}`, { method });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

for (const backend of ['memory', 'memcached'] as const) {
  describe(`caching proxy on ${backend}`, () => {
    let origin: Origin;
    let proxy: FastifyInstance;
    let memcached: MemcachedServer | undefined;

    before(async () => {
      origin = await startOrigin();
      if (backend === 'memcached') memcached = await MemcachedServer.start();
      proxy = await buildProxy({ upstream: origin.base, ...(memcached ? { cache: { servers: memcached.address, logger: { warn: () => {} } } } : {}) });
      await proxy.listen({ host: '127.0.0.1', port: 0 });
    });
    after(async () => {
      await proxy.close();
      origin.server.close();
      await memcached?.stop();
    });

    /** Waits until the proxy stored `url` (writes go in the background, after the response): an event, polled. */
    const stored = async (url: string) => {
      const key = viewKey(url, '');
      const deadline = Date.now() + 2000;
      while ((await proxy.cache.get(key)) === undefined) {
        if (Date.now() > deadline) assert.fail(`${url} was not stored within 2 s`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };

    it('serves a response fresh by max-age from the cache, without hop-by-hop headers', async () => {
      const first = await get(proxy, '/page');
      assert.equal(first.text, 'render 1');
      assert.equal(first.headers.get('x-hop'), null);
      await stored('/page');
      const hit = await get(proxy, '/page');
      assert.equal(hit.headers.get('x-cache'), 'HIT');
      assert.equal(hit.text, 'render 1');
      assert.equal(origin.full, 1);
    });

    it('revalidates a stale response with If-None-Match: the origin answers 304 and the stored body is served with the updated headers', async () => {
      const renders = origin.full;
      const first = await get(proxy, '/validated');
      await stored('/validated');
      assert.deepEqual([origin.full - renders, origin.notModified], [1, 0]);
      const second = await get(proxy, '/validated');
      assert.equal(second.status, 200);
      assert.equal(second.text, first.text);
      assert.equal(second.headers.get('x-version'), '1');
      assert.equal(origin.seen.at(-1)!['if-none-match'], '"v1"');
      const third = await get(proxy, '/validated');
      assert.equal(third.text, first.text);
      assert.equal(third.headers.get('x-version'), '2');
      // Two revalidations, no full render after the first.
      assert.deepEqual([origin.full - renders, origin.notModified], [1, 2]);
    });

    it('a successful POST invalidates its URL and the one its Location names', async () => {
      await get(proxy, '/page');
      const rendered = origin.full;
      assert.equal((await get(proxy, '/page', 'POST')).status, 204);
      const after = await get(proxy, '/page');
      assert.equal(after.headers.get('x-cache'), 'MISS');
      assert.equal(origin.full, rendered + 1);
    });
  });
}

describe('caching proxy: headers a client forwards are not inputs the cache does not key on', () => {
  it('a client\'s X-Forwarded-Host / Forwarded / method overrides never reach the origin, so they cannot poison the page another client gets', async () => {
    const memcached = await MemcachedServer.start();
    // An origin behind a proxy trusts its forwarding headers to build absolute links (Express's trust proxy, Fastify's trustProxy).
    const origin = createServer((request, response) => {
      const host = request.headers['x-forwarded-host'] ?? /host="?([^;,"]+)/.exec(String(request.headers.forwarded ?? ''))?.[1] ?? 'shop.example';
      // And, as Express's method-override does, takes a GET with an override header for that method.
      const override = request.headers['x-http-method-override'] ?? request.headers['x-method-override'] ?? request.headers['x-http-method'];
      if (override === 'DELETE') return void response.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'max-age=60' }).end('deleted');
      response.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'max-age=60' }).end(`<a href="https://${host}/login">log in</a>`);
    });
    origin.listen(0, '127.0.0.1');
    await once(origin, 'listening');
    const proxy = await buildProxy({ upstream: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`, cache: { servers: memcached.address, logger: { warn: () => {} } } });
    try {
      await proxy.listen({ host: '127.0.0.1', port: 0 });
      for (const [path, forged] of [['/one', { 'x-forwarded-host': 'evil.example' }], ['/two', { forwarded: 'host=evil.example' }], ['/three', { 'x-http-method-override': 'DELETE' }], ['/four', { 'x-method-override': 'DELETE' }], ['/five', { 'x-http-method': 'DELETE' }]] as const) {
        await fetch(`${proxy.listeningOrigin}${path}`, { headers: forged });
        const deadline = Date.now() + 2000;
        while ((await proxy.cache.get(viewKey(path, ''))) === undefined) {
          if (Date.now() > deadline) assert.fail(`${path} was not stored within 2 s`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        const victim = await fetch(`${proxy.listeningOrigin}${path}`);
        assert.equal(victim.headers.get('x-cache'), 'HIT');
        assert.equal(await victim.text(), '<a href="https://shop.example/login">log in</a>', path);
      }
    } finally {
      await proxy.close();
      origin.close();
      await memcached.stop();
    }
  });
});
