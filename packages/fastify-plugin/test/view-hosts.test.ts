import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryBackend, type Cache } from '@larder/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import larder, { viewKey } from '../src/index.js';
import { buildApp, quietCache, suiteBackends } from './build-app.js';
import { get, listen } from './http-client.js';

async function reads(cache: Cache): Promise<number> {
  const stats = cache.stats();
  return stats.hits + stats.misses;
}

for (const suite of suiteBackends) {
  describe(`the Host is a variant of its own, over real HTTP on ${suite.name}`, () => {
    let cache: Cache;
    let dispose: () => Promise<void>;
    let app: FastifyInstance;
    let base: string;
    const runs = new Map<string, number>();
    const run = (name: string) => runs.set(name, (runs.get(name) ?? 0) + 1).get(name) ?? 0;
    const ran = (name: string) => runs.get(name) ?? 0;

    before(async () => {
      const made = await suite.make();
      dispose = made.dispose;
      cache = quietCache(made.backend);
      app = await buildApp(cache);
      for (const path of ['/home', '/apex', '/drop', '/reads']) {
        app.get(path, { config: { cache: { ttl: 300 } } }, async (request) => `hello ${request.host} #${run(`${path} ${request.host}`)}`);
      }
      app.get('/slow', { config: { cache: true } }, async (request) => {
        run(`/slow ${request.host}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return `slow ${request.host}`;
      });
      app.get('/lang', { config: { cache: true } }, async (request, reply) => {
        run(`/lang ${request.host} ${String(request.headers['accept-language'])}`);
        return reply.header('vary', 'Accept-Language').type('text/plain').send(`${request.host} ${String(request.headers['accept-language'])}`);
      });
      base = await listen(app);
    });
    after(async () => {
      await app.close();
      await cache.close();
      await dispose();
    });

    it('after one request with a foreign Host, the real host is served from the cache again', async () => {
      const evil = await get(base, '/home', { host: 'evil.example' });
      assert.equal(evil.text, 'hello evil.example #1');
      const labels: string[] = [];
      for (let i = 0; i < 5; i++) {
        const shop = await get(base, '/home', { host: 'shop.example' });
        assert.match(shop.text, /^hello shop\.example #/);
        labels.push(String(shop.headers['x-cache']));
      }
      assert.ok(ran('/home shop.example') <= 2, `the handler ran ${ran('/home shop.example')} times for 5 requests`);
      assert.deepEqual(labels.slice(2), ['HIT', 'HIT', 'HIT']);
      const evilAgain = await get(base, '/home', { host: 'evil.example' });
      assert.equal(evilAgain.text, 'hello evil.example #1', 'the foreign host keeps its own page, never the shop one');
    });

    it('concurrent misses of the second host still run its handler once (single-flight)', async () => {
      await get(base, '/slow', { host: 'evil.example' });
      const pages = await Promise.all(Array.from({ length: 6 }, () => get(base, '/slow', { host: 'shop.example' })));
      for (const page of pages) assert.equal(page.text, 'slow shop.example');
      assert.equal(ran('/slow shop.example'), 1);
    });

    it('apex, www and a health check by IP each keep their own entry, none served to another', async () => {
      const hosts = ['shop.example', 'www.shop.example', '127.0.0.1'];
      for (let round = 0; round < 4; round++) {
        for (const host of hosts) {
          const page = await get(base, '/apex', { host });
          assert.equal(page.text.split(' #')[0], `hello ${host}`);
          if (round >= 2) assert.equal(page.headers['x-cache'], 'HIT', `${host} round ${round}`);
        }
      }
      for (const host of hosts) assert.ok(ran(`/apex ${host}`) <= 2, `${host}: ${ran(`/apex ${host}`)} runs`);
    });

    it('deleting viewKey(path) drops the entries of every host', async () => {
      await get(base, '/drop', { host: 'a.example' });
      await get(base, '/drop', { host: 'b.example' });
      assert.equal((await get(base, '/drop', { host: 'a.example' })).headers['x-cache'], 'HIT');
      assert.equal((await get(base, '/drop', { host: 'b.example' })).headers['x-cache'], 'HIT');
      await cache.delete(viewKey('/drop'));
      assert.equal((await get(base, '/drop', { host: 'a.example' })).headers['x-cache'], 'MISS');
      assert.equal((await get(base, '/drop', { host: 'b.example' })).headers['x-cache'], 'MISS');
    });

    it('with Vary, each host and variant gets its own page and hosts end up served from the cache', async () => {
      const pairs = [
        ['a.example', 'en'],
        ['b.example', 'en'],
        ['a.example', 'fr'],
        ['b.example', 'fr'],
      ] as const;
      for (let round = 0; round < 3; round++) {
        for (const [host, language] of pairs) {
          const page = await get(base, '/lang', { host, 'accept-language': language });
          assert.equal(page.text, `${host} ${language}`);
          if (round === 2) assert.equal(page.headers['x-cache'], 'HIT');
        }
      }
    });

    it('a page seen from one host only is one cache read per hit', async () => {
      await get(base, '/reads', { host: 'only.example' });
      const before = await reads(cache);
      assert.equal((await get(base, '/reads', { host: 'only.example' })).headers['x-cache'], 'HIT');
      assert.equal((await reads(cache)) - before, 1);
    });
  });
}

describe('route hooks of plugins registered after larder run before a hit is replayed', () => {
  it('an authentication preHandler appended by a later plugin (onRoute) still refuses a cached page', async (t) => {
    const cache = quietCache(new MemoryBackend());
    const app = Fastify();
    t.after(async () => {
      await app.close();
      await cache.close();
    });
    await app.register(larder, { cache });
    const deny = async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.headers['x-user'] !== 'staff') return reply.code(401).send('sign in');
      return undefined;
    };
    await app.register(
      fastifyPlugin(async (scope) => {
        scope.addHook('onRoute', (route: RouteOptions) => {
          const existing = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
          route.preHandler = [...existing, deny];
        });
      }),
    );
    app.get('/staff', { config: { cache: true } }, async () => 'staff only');
    const base = await listen(app);
    const staff = await get(base, '/staff', { 'x-user': 'staff' });
    assert.equal(staff.text, 'staff only');
    assert.equal((await get(base, '/staff', { 'x-user': 'staff' })).headers['x-cache'], 'HIT');
    const anonymous = await get(base, '/staff');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.text, 'sign in');
  });
});
