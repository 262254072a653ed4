import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Cache, MemcachedBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import nunjucks from 'nunjucks';
import { addCacheExtension, type NunjucksEnvironment } from '../src/index.js';
import { buildApp, quiet } from './build-app.js';
import { get, listen } from './http-client.js';

const templates = fileURLToPath(new URL('./templates', import.meta.url));

describe('views, memoize and fragments read through the near cache of a memcached Cache', () => {
  let server: MemcachedServer;
  let cache: Cache;
  let other: Cache;
  before(async () => {
    server = await MemcachedServer.start();
    cache = new Cache({ backend: new MemcachedBackend({ servers: server.address }), near: { ttl: '10m' }, logger: quiet });
    other = new Cache({ backend: new MemcachedBackend({ servers: server.address }), logger: quiet });
  });
  after(async () => {
    await Promise.all([cache.close(), other.close()]);
    await server.stop();
  });

  it('a cached page is answered from process memory: a HIT while memcached no longer holds it, within the near ttl', async () => {
    const app = await buildApp(cache);
    let calls = 0;
    app.get('/page', { config: { cache: { ttl: 60 } } }, async () => ({ call: ++calls }));
    const base = await listen(app);
    try {
      assert.equal((await get(base, '/page')).headers['x-cache'], 'MISS');
      assert.equal((await get(base, '/page')).headers['x-cache'], 'HIT');
      const before = cache.stats().nearHits;
      // Another process deletes the page in memcached: this process's near copy is still served.
      assert.equal(await other.delete('view//page'), true);
      const third = await get(base, '/page');
      assert.equal(third.headers['x-cache'], 'HIT');
      assert.deepEqual(JSON.parse(third.body.toString()), { call: 1 });
      assert.equal(cache.stats().nearHits, before + 1);
      assert.equal(calls, 1);
    } finally {
      await app.close();
    }
  });

  it('memoize and the {% cache %} tag are near hits on their second read', async () => {
    let runs = 0;
    const price = cache.memoize(async (id: number) => ({ id, price: ++runs }), { name: 'near-price' });
    await price(7);
    await price(7);
    const nearBefore = cache.stats().nearHits;
    assert.deepEqual(await price(7), { id: 7, price: 1 });
    assert.equal(cache.stats().nearHits, nearBefore + 2, 'the function’s version key and its result');

    const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templates), { autoescape: true });
    let renders = 0;
    env.addGlobal('render', () => ++renders);
    addCacheExtension(env as unknown as NunjucksEnvironment, cache);
    const render = () => new Promise<string>((resolve, reject) => env.render('sidebar.njk', { user: { id: 8, name: 'Ada' } }, (error, out) => (error ? reject(error) : resolve(out ?? ''))));
    const first = await render();
    await render();
    const fragmentBefore = cache.stats().nearHits;
    assert.equal(await render(), first);
    assert.equal(cache.stats().nearHits, fragmentBefore + 1);
    assert.equal(renders, 1);
  });
});
