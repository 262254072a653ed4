import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Cache, MemcachedBackend } from '@larder/core';
import { request, type ConformanceResponse } from '@larder/http/conformance';
import { MemcachedServer } from '@larder/testing';
import { stored } from './build-app.js';

const SHOP = fileURLToPath(new URL('./fixtures/tagged-shop.ts', import.meta.url));

interface Shop {
  child: ChildProcess;
  base: string;
}

async function startShop(framework: 'fastify' | 'express', servers: string): Promise<Shop> {
  const child = fork(SHOP, [framework], { execArgv: ['--import', 'tsx'], env: { ...process.env, TAG_SERVERS: servers }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`shop exited with ${code}`)));
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

/** One request to a shop process; behind a load balancer every process sees the site's one Host. */
function call(base: string, path: string, method = 'GET'): Promise<ConformanceResponse> {
  return request(base, path, { host: 'shop.test' }, method);
}

describe('tags across two processes, one on Fastify and one on Express, over one real memcached', () => {
  let server: MemcachedServer;
  let fastify: Shop;
  let express: Shop;
  let cache: Cache;
  before(async () => {
    server = await MemcachedServer.start();
    cache = new Cache({ backend: new MemcachedBackend({ servers: server.address, timeout: 5000 }), keyPrefix: 'shop:', logger: { warn() {} } });
    [fastify, express] = await Promise.all([startShop('fastify', server.address), startShop('express', server.address)]);
  });
  after(async () => {
    for (const { child } of [fastify, express]) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await cache.close();
    await server.stop();
  });

  it('a page stored by one process is a hit in the other; invalidateTags in one makes it a miss in both at once, other tags untouched', async () => {
    const first = await call(fastify.base, '/products/7');
    assert.equal(first.headers['x-cache'], 'MISS');
    assert.equal(first.headers['surrogate-key'], 'product:7');
    await call(fastify.base, '/products/8');
    await Promise.all([stored(cache, '/products/7'), stored(cache, '/products/8')]);
    // One key and one route pattern: the Express process is served the page Fastify stored.
    const shared = await call(express.base, '/products/7');
    assert.equal(shared.headers['x-cache'], 'HIT');
    assert.equal(shared.text, first.text);
    assert.equal(shared.headers['surrogate-key'], 'product:7');

    const invalidated = await call(express.base, '/invalidate/product:7', 'POST');
    assert.deepEqual(JSON.parse(invalidated.text), { invalidated: true });

    const afterFastify = await call(fastify.base, '/products/7');
    assert.equal(afterFastify.headers['x-cache'], 'MISS');
    assert.notEqual(afterFastify.text, first.text);
    await stored(cache, '/products/7');
    const afterExpress = await call(express.base, '/products/7');
    assert.equal(afterExpress.headers['x-cache'], 'HIT');
    assert.equal(afterExpress.text, afterFastify.text);
    const other = await call(express.base, '/products/8');
    assert.equal(other.headers['x-cache'], 'HIT');
    assert.match(other.text, /rendered by fastify #2/);
  });
});
