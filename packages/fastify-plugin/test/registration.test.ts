import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { Cache, getDefaultCache, memoize, MemoryBackend, NullBackend, setDefaultCache } from '@larder/core';
import Fastify from 'fastify';
import larder from '../src/index.js';
import { quiet } from './build-app.js';

/** A Fastify app whose pino log lines are collected. */
function appWithLogLines() {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { app: Fastify({ logger: { level: 'info', stream } }), lines };
}

describe('registering @larder/fastify-plugin', () => {
  it('with no options gives app.cache on the in-memory backend, visible to the whole app', async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    await app.register(larder);
    await app.register(async (child) => {
      child.get('/child', async () => ({ backend: child.cache.backend.name }));
    });
    assert.ok(app.cache instanceof Cache);
    assert.equal(app.cache.backend.name, 'memory');
    assert.deepEqual((await app.inject('/child')).json(), { backend: 'memory' });
  });

  it('builds its cache from backend, keyPrefix and defaultTtl', async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    await app.register(larder, { backend: new MemoryBackend(), keyPrefix: 'shop:', defaultTtl: '2m' });
    assert.equal(app.cache.keyPrefix, 'shop:');
    assert.equal(app.cache.defaultTtl, 120);
  });

  it('closes a cache it built on app.close()', async () => {
    const backend = new MemoryBackend();
    const app = Fastify();
    await app.register(larder, { backend });
    await app.cache.set('k', 'v');
    await app.close();
    await assert.rejects(backend.get('k'), { code: 'E_CLOSED' });
  });

  it('does not close a Cache the user passed in', async () => {
    const cache = new Cache({ logger: quiet });
    const app = Fastify();
    await app.register(larder, { cache });
    await app.close();
    assert.equal(await cache.set('still', 'open'), true);
    assert.equal(await cache.get('still'), 'open');
    await cache.close();
  });

  const badOptions: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an unknown option', { ttl: 5 }, /"ttl"/],
    ['two cache sources', { cache: new Cache(), backend: new NullBackend() }, /"backend".*"cache"/],
    ['a cache that is not a Cache', { cache: { get() {} } }, /"cache"/],
    ['a backend that is not a Backend', { backend: 'memcached' }, /"backend"/],
    ['a bad defaultTtl', { defaultTtl: -1 }, /"defaultTtl"/],
    ['a bad fromEnv', { fromEnv: 7 }, /"fromEnv"/],
    ['keyPrefix beside a given cache', { cache: new Cache(), keyPrefix: 'x' }, /"keyPrefix"/],
  ];
  for (const [what, options, message] of badOptions) {
    it(`fails register on ${what}, naming the option`, async () => {
      const app = Fastify();
      await assert.rejects(async () => {
        await app.register(larder, options as never);
      }, (error: Error & { code?: string }) => {
        assert.equal(error.code, 'E_INVALID_OPTION');
        assert.match(error.message, message);
        return true;
      });
      await app.close().catch(() => {});
    });
  }

  it('fails on a bad route config.cache when the route is added, naming the route', async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    await app.register(larder);
    assert.throws(
      () => app.get('/x', { config: { cache: { ttl: 'soon' as never } } }, async () => 'x'),
      (error: Error) => /config\.cache\.ttl/.test(error.message) && /GET \/x/.test(error.message),
    );
    assert.throws(() => app.get('/y', { config: { cache: { statusCodes: [999] } } }, async () => 'y'), /config\.cache\.statusCodes/);
    assert.throws(() => app.get('/z', { config: { cache: { maxAge: 5 } as never } }, async () => 'z'), /config\.cache\.maxAge/);
  });

  it('fromEnv builds from MEMCACHED_SERVERS, else the memory backend, and logs the choice through app.log', async (t) => {
    const saved = process.env.MEMCACHED_SERVERS;
    delete process.env.MEMCACHED_SERVERS;
    t.after(() => {
      if (saved !== undefined) process.env.MEMCACHED_SERVERS = saved;
    });
    const { app, lines } = appWithLogLines();
    t.after(() => app.close());
    await app.register(larder, { fromEnv: true });
    assert.equal(app.cache.backend.name, 'memory');
    assert.ok(lines.some((line) => line.level === 40 && /in-memory backend/.test(line.msg)), 'warns that it fell back to memory');
    assert.ok(lines.some((line) => line.level === 30 && /larder: caching on memory/.test(line.msg)), 'says which backend it uses');
  });

  it('makes its cache the default for memoize(), and forgets it on close', async () => {
    setDefaultCache(undefined);
    const app = Fastify();
    await app.register(larder);
    let runs = 0;
    const double = memoize({ name: 'registration.double' })(async (n: number) => {
      runs++;
      return n * 2;
    });
    assert.equal(await double(4), 8);
    assert.equal(await double(4), 8);
    assert.equal(runs, 1);
    assert.equal(getDefaultCache(), app.cache);
    await app.close();
    assert.throws(() => getDefaultCache(), { code: 'E_INVALID_OPTION' });
  });

  it('setDefault: false leaves the default cache alone', async (t) => {
    const mine = new Cache({ logger: quiet });
    setDefaultCache(mine);
    t.after(() => setDefaultCache(undefined));
    const app = Fastify();
    t.after(() => app.close());
    await app.register(larder, { setDefault: false });
    assert.equal(getDefaultCache(), mine);
  });
});
