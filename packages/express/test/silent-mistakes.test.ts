import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from '@larder/http/conformance';
import session from 'express-session';
import { cacheResponse, larder, type LarderExpress } from '../src/index.js';
import { expressVersions, listen, suiteCaches } from './build-app.js';

// Settings that cannot take effect are said once, never once per request, and responses never
// stored are counted by reason: Express 5 and 4, over real HTTP, on memory and memcached.

for (const version of expressVersions) {
  for (const [backend, openCache] of suiteCaches) {
    describe(`${version.name} on ${backend}: what cannot be cached is counted and said once`, () => {
      let installed: LarderExpress;
      let server: { base: string; close(): Promise<void> };
      let dispose: () => Promise<void>;
      const warnings: string[] = [];

      before(async () => {
        const opened = await openCache();
        dispose = async () => {
          await opened.cache.close();
          await opened.dispose();
        };
        const app = version.make();
        installed = larder(app, { cache: opened.cache, setDefault: false, logger: { warn: (message) => warnings.push(message) } });
        app.post('/orders', cacheResponse(), (_request, response) => void response.send('ordered'));
        app.get('/private', cacheResponse(), (_request, response) => void response.set('cache-control', 'private').send('private'));
        app.get('/vary-star', cacheResponse(), (_request, response) => void response.set('vary', '*').send('vary'));
        app.get('/cookie', cacheResponse(), (_request, response) => void response.cookie('sid', '1').send('cookie'));
        // express-session sets its cookie inside writeHead, after the handler (saveUninitialized: true: every first visit).
        const sessions = session({ secret: 'a test secret that is long enough to sign cookies', resave: false, saveUninitialized: true });
        app.get('/welcome', sessions, cacheResponse({ cacheControl: true }), (_request, response) => void response.send('welcome'));
        app.get('/fine', cacheResponse(), (_request, response) => void response.send('fine'));
        server = await listen(app);
      });
      after(async () => {
        await server.close();
        await installed.close();
        await dispose();
      });

      it('cacheResponse() on a POST route is said once, naming the route, and the route still answers', async () => {
        for (let i = 0; i < 3; i++) assert.equal((await request(server.base, '/orders', {}, 'POST')).text, 'ordered');
        const told = warnings.filter((line) => line.includes('/orders'));
        assert.equal(told.length, 1, warnings.join('\n'));
        assert.match(told[0]!, /POST \/orders never caches: only GET and HEAD/);
      });

      it('three requests of each page never stored: counted by reason, one warning per route and reason; a session cookie set in writeHead counts too', async () => {
        for (let i = 0; i < 3; i++) {
          for (const path of ['/private', '/vary-star', '/cookie', '/welcome']) assert.equal((await request(server.base, path)).headers['x-cache'], 'MISS', path);
        }
        const welcome = await request(server.base, '/welcome');
        assert.ok(welcome.headers['set-cookie'] !== undefined);
        assert.equal(welcome.headers['cache-control'], undefined, "the cache's public Cache-Control is taken back when a cookie is set in writeHead");
        const stats = new Map(installed.viewCacheStats().map((row) => [row.route, row]));
        assert.deepEqual(stats.get('GET /private')?.notStored, { 'cache-control': 3 });
        assert.deepEqual(stats.get('GET /vary-star')?.notStored, { 'vary-star': 3 });
        assert.deepEqual(stats.get('GET /cookie')?.notStored, { 'set-cookie': 3 });
        assert.deepEqual(stats.get('GET /welcome')?.notStored, { 'set-cookie': 4 });
        for (const route of ['/private', '/vary-star', '/cookie', '/welcome']) {
          assert.equal(warnings.filter((line) => line.includes(`GET ${route} are not stored`)).length, 1, `${route}: ${warnings.join('\n')}`);
        }
        assert.match(warnings.find((line) => line.includes('GET /welcome'))!, /saveUninitialized/);
      });

      it('a GET with a body is a bypass, counted as such; a page without any of this is stored', async () => {
        const fat = await request(server.base, '/fine', { 'content-type': 'application/json', 'content-length': '2' }, 'GET', '{}');
        assert.equal(fat.headers['x-cache'], 'BYPASS');
        assert.equal((await request(server.base, '/fine')).headers['x-cache'], 'MISS');
        assert.equal((await request(server.base, '/fine')).headers['x-cache'], 'HIT');
        const row = installed.viewCacheStats().find((stats) => stats.route === 'GET /fine');
        assert.deepEqual(row?.bypassed, { 'request-body': 1 });
        assert.deepEqual(row?.notStored, {});
      });
    });
  }
}
