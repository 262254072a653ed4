import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { request } from '@larder/http/conformance';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import larder from '../src/index.js';
import { quietCache, suiteBackends } from './build-app.js';
import { get, listen } from './http-client.js';

// Settings that cannot take effect are refused at registration or said once, never once per
// request, and responses never stored are counted by reason: over real HTTP, on memory and memcached.

/** A Fastify app whose pino warnings are collected. */
function appWithWarnings(): { app: FastifyInstance; warnings: string[] } {
  const warnings: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const parsed = JSON.parse(line) as { level: number; msg: string };
        if (parsed.level === 40) warnings.push(parsed.msg);
      }
      done();
    },
  });
  return { app: Fastify({ logger: { level: 'warn', stream } }), warnings };
}

const invalid = (pattern: RegExp) => (error: unknown) => (error as { code?: string }).code === 'E_INVALID_OPTION' && pattern.test((error as Error).message);

describe('Fastify: settings that cannot take effect', () => {
  it('config.cache on a POST route (or GET and POST) is refused where the route is declared, naming it', async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    await app.register(larder);
    assert.throws(() => app.post('/orders', { config: { cache: true } }, async () => 'made'), invalid(/POST \/orders.*only GET and HEAD/));
    assert.throws(() => app.route({ method: ['GET', 'POST'], url: '/both', config: { cache: { ttl: 5 } }, handler: async () => 'x' }), invalid(/GET,POST \/both/));
    app.post('/plain', { config: { cache: false } }, async () => 'fine');
    app.get('/page', { config: { cache: true } }, async () => 'page');
  });

  it('a route with config.cache declared before app.register(larder) is said once, naming it, when first requested', async (t) => {
    const { app, warnings } = appWithWarnings();
    t.after(() => app.close());
    app.get('/early', { config: { cache: true } }, async () => 'early');
    app.get('/health', async () => 'ok');
    await app.register(larder);
    app.get('/late', { config: { cache: true } }, async () => 'late');
    const base = await listen(app);
    for (let i = 0; i < 3; i++) {
      assert.equal((await get(base, '/early')).headers['x-cache'], undefined, 'not cached');
      await get(base, '/health');
      assert.ok((await get(base, '/late')).headers['x-cache'] !== undefined, 'a route declared after is cached');
    }
    const told = warnings.filter((line) => line.includes('/early'));
    assert.equal(told.length, 1, warnings.join('\n'));
    assert.match(told[0]!, /declared before app\.register\(larder\)/);
    assert.equal(warnings.filter((line) => line.includes('/late') || line.includes('/health')).length, 0);
  });

  it("a second app.register(larder) says so in Larder's words, not Fastify's decorator error", async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    await app.register(larder);
    await assert.rejects(async () => {
      await app.register(larder);
    }, invalid(/already registered on this app/));
  });

  it("another plugin's app.cache is named as such", async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    await app.register(
      fastifyPlugin(async (instance) => {
        instance.decorate('cache', {} as never);
      }),
    );
    await assert.rejects(async () => {
      await app.register(larder);
    }, invalid(/another plugin/));
  });
});

for (const suite of suiteBackends) {
  describe(`Fastify on ${suite.name}: responses never stored are counted by reason and said once per route and reason`, () => {
    let app: FastifyInstance;
    let warnings: string[];
    let base: string;
    let dispose: () => Promise<void>;
    const cache = { close: async () => {} };

    before(async () => {
      const made = await suite.make();
      dispose = made.dispose;
      const opened = quietCache(made.backend);
      cache.close = () => opened.close();
      ({ app, warnings } = appWithWarnings());
      await app.register(larder, { cache: opened });
      app.get('/cookie', { config: { cache: true } }, async (_request, reply) => reply.header('set-cookie', 'sid=1').send('cookie'));
      app.get('/private', { config: { cache: true } }, async (_request, reply) => reply.header('cache-control', 'private').send('private'));
      app.get('/no-store', { config: { cache: true } }, async (_request, reply) => reply.header('cache-control', 'no-store').send('no-store'));
      app.get('/vary-star', { config: { cache: true } }, async (_request, reply) => reply.header('vary', '*').send('vary'));
      app.get('/late-cookie', {
        config: { cache: true },
        // A route onSend hook after Larder's: it runs once the response was handed to the cache.
        onSend: (_request, reply, payload, done) => {
          reply.header('set-cookie', 'late=1');
          done(null, payload);
        },
      }, async () => 'late');
      base = await listen(app);
    });
    after(async () => {
      await app.close();
      await cache.close();
      await dispose();
    });

    it('three requests of each: three misses each, counted under their reason, one warning per route and reason', async () => {
      for (let i = 0; i < 3; i++) {
        for (const path of ['/cookie', '/private', '/no-store', '/vary-star', '/late-cookie']) assert.equal((await get(base, path)).headers['x-cache'], 'MISS', path);
      }
      const stats = new Map(app.viewCacheStats().map((row) => [row.route, row]));
      assert.deepEqual(stats.get('GET /cookie')?.notStored, { 'set-cookie': 3 });
      assert.deepEqual(stats.get('GET /private')?.notStored, { 'cache-control': 3 });
      assert.deepEqual(stats.get('GET /no-store')?.notStored, { 'cache-control': 3 });
      assert.deepEqual(stats.get('GET /vary-star')?.notStored, { 'vary-star': 3 });
      assert.deepEqual(stats.get('GET /late-cookie')?.notStored, { 'set-cookie': 3 }, 'decided on what went on the wire');
      for (const route of ['/cookie', '/private', '/no-store', '/vary-star', '/late-cookie']) {
        assert.equal(warnings.filter((line) => line.includes(`GET ${route} are not stored`)).length, 1, `${route}: ${warnings.join('\n')}`);
      }
    });

    it('a GET with a body is a bypass counted as such', async () => {
      const withBody = await request(base, '/cookie', { 'content-type': 'application/json', 'content-length': '2' }, 'GET', '{}');
      assert.equal(withBody.headers['x-cache'], 'BYPASS');
      assert.deepEqual(app.viewCacheStats().find((row) => row.route === 'GET /cookie')?.bypassed, { 'request-body': 1 });
    });
  });
}
