import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { Cache, MemoryBackend } from '@larder/core';
import { request as get } from '@larder/http/conformance';
import compression from 'compression';
import express from 'express';
import express4 from 'express4';
import session from 'express-session';
import { cacheResponse, larder, NotInstalledError, viewKey, type ExpressAppLike, type LarderExpress } from '../src/index.js';
import { listen, quiet } from './build-app.js';

for (const [name, makeApp] of [['Express 5', () => express()], ['Express 4', () => express4()]] as const) {
  describe(`@larder/express on ${name}`, () => {
    let app: ReturnType<typeof makeApp>;
    let installed: LarderExpress;
    let server: { base: string; close(): Promise<void> };
    const calls = new Map<string, number>();
    const count = (what: string) => {
      const next = (calls.get(what) ?? 0) + 1;
      calls.set(what, next);
      return next;
    };

    before(async () => {
      app = makeApp();
      installed = larder(app as unknown as ExpressAppLike, { cache: new Cache({ backend: new MemoryBackend(), logger: quiet }), logger: quiet });
      app.use(session({ secret: 'a test secret of enough length!!', resave: false, saveUninitialized: false }));
      app.post('/login', (request, response) => {
        (request.session as unknown as { user: string }).user = 'ada';
        response.send('signed in');
      });
      app.get('/page', cacheResponse(), (request, response) => {
        const user = (request.session as unknown as { user?: string }).user;
        response.send(`page ${count('page')} for ${user ?? 'a guest'}`);
      });
      const gzipped = express.Router();
      gzipped.use(compression({ threshold: 0 }));
      gzipped.get('/big', cacheResponse(), (_request, response) => {
        response.type('text/plain').send(`${'compressible '.repeat(200)}${count('big')}`);
      });
      app.use('/zip', gzipped);
      app.get('/streamed', cacheResponse(), (_request, response) => {
        response.type('text/plain');
        response.write('part one, ');
        setImmediate(() => response.end(`part two ${count('streamed')}`));
      });
      app.get('/huge', cacheResponse(), (_request, response) => {
        response.type('text/plain').send('x'.repeat(9 * 1024 * 1024) + count('huge'));
      });
      app.get('/stale', cacheResponse({ ttl: 1, grace: 60 }), (_request, response) => {
        response.send(`stale page ${count('stale')}`);
      });
      app.get('/spelled', cacheResponse(), (_request, response) => void response.send(`static route ${count('static')}`));
      app.get('/:slug', cacheResponse(), (request, response) => void response.send(`slug route for ${request.params.slug} ${count('slug')}`));
      server = await listen(app as unknown as ExpressAppLike);
    });
    after(async () => {
      await server.close();
      await installed.close();
      await installed.cache.close();
    });

    it('puts the cache on app.locals.cache', () => {
      assert.equal((app as unknown as ExpressAppLike).locals.cache, installed.cache);
    });

    it('a signed-in visitor (express-session) bypasses the cache with Vary: Cookie and is never served the guests\' page; guests still share it', async () => {
      const guest = await get(server.base, '/page');
      assert.equal(guest.headers['x-cache'], 'MISS');
      const login = await get(server.base, '/login', {}, 'POST');
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      const signedIn = await get(server.base, '/page', { cookie });
      assert.equal(signedIn.headers['x-cache'], 'BYPASS');
      assert.match(signedIn.text, /for ada$/);
      assert.match(String(signedIn.headers.vary), /Cookie/i);
      const guestAgain = await get(server.base, '/page');
      assert.equal(guestAgain.headers['x-cache'], 'HIT');
      assert.equal(guestAgain.text, guest.text);
      // A cookie of a session the store does not know (forged, expired) is a guest.
      const forged = await get(server.base, '/page', { cookie: 'connect.sid=s%3Anot-a-session.abc' });
      assert.equal(forged.headers['x-cache'], 'HIT');
    });

    it('compression mounted before the cache: the body is stored uncompressed and compressed on every answer for the client that asks', async () => {
      const first = await get(server.base, '/zip/big', { 'accept-encoding': 'gzip' });
      assert.equal(first.headers['content-encoding'], 'gzip');
      assert.equal(first.headers['x-cache'], 'MISS');
      const plain = await get(server.base, '/zip/big');
      assert.equal(plain.headers['x-cache'], 'HIT');
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.text, gunzipSync(first.body).toString('utf8'));
      const again = await get(server.base, '/zip/big', { 'accept-encoding': 'gzip' });
      assert.equal(again.headers['x-cache'], 'HIT');
      assert.equal(gunzipSync(again.body).toString('utf8'), plain.text);
      const stored = await installed.cache.get<string>(viewKey('/zip/big'));
      assert.ok(stored?.includes('compressible compressible'), 'the stored entry holds the uncompressed body');
      assert.equal(calls.get('big'), 1);
    });

    it('two spellings of one path that Express routes to two routes (it matches before decoding) never share an entry', async () => {
      // `/%73pelled` is `/spelled` to the cache key, but Express gives it to `/:slug`.
      const bySlug = await get(server.base, '/%73pelled');
      assert.equal(bySlug.text, 'slug route for spelled 1');
      const byStatic = await get(server.base, '/spelled');
      assert.equal(byStatic.headers['x-cache'], 'MISS');
      assert.equal(byStatic.text, 'static route 1');
      assert.equal((await get(server.base, '/%73pelled')).text, 'slug route for spelled 1');
      const staticAgain = await get(server.base, '/spelled');
      assert.equal(staticAgain.headers['x-cache'], 'HIT');
      assert.equal(staticAgain.text, 'static route 1');
    });

    it('a body written in parts is stored whole', async () => {
      const first = await get(server.base, '/streamed');
      assert.equal(first.headers['x-cache'], 'MISS');
      const second = await get(server.base, '/streamed');
      assert.equal(second.headers['x-cache'], 'HIT');
      assert.equal(second.text, 'part one, part two 1');
    });

    it('a body over maxBodyBytes (8 MiB) is sent whole and not stored', async () => {
      const first = await get(server.base, '/huge');
      assert.equal(first.body.length, 9 * 1024 * 1024 + 1);
      const second = await get(server.base, '/huge');
      assert.equal(second.headers['x-cache'], 'MISS');
      assert.equal(calls.get('huge'), 2);
    });

    it('a stale page is answered STALE at once and refreshed once in the background through the app (no socket)', async () => {
      await get(server.base, '/stale');
      // Past its ttl: the stored envelope's expiry is moved into the past by writing it with ttl 1 and grace, then waiting is avoided by
      // asking the Cache to treat it as stale: rewrite the entry a second ago.
      const key = viewKey('/stale');
      const read = await installed.cache.read<string>(key);
      assert.equal(read.status, 'hit');
      await installed.cache.set(key, (read as { value: string }).value, { ttl: 1, grace: 60 });
      const now = Date.now;
      Date.now = () => now() + 2_000;
      try {
        const stale = await get(server.base, '/stale');
        assert.equal(stale.headers['x-cache'], 'STALE');
        assert.equal(stale.text, 'stale page 1');
        await installed.close();
      } finally {
        Date.now = now;
      }
      assert.equal(calls.get('stale'), 2);
      const fresh = await get(server.base, '/stale');
      assert.equal(fresh.headers['x-cache'], 'HIT');
      assert.equal(fresh.text, 'stale page 2');
    });
  });
}

describe('@larder/express errors', () => {
  it('cacheResponse in an app without larder(app) passes an E_NOT_INSTALLED error to next', async () => {
    const app = express();
    app.get('/x', cacheResponse(), (_request, response) => void response.send('x'));
    let seen: unknown;
    app.use((error: unknown, _request: express.Request, response: express.Response, _next: express.NextFunction) => {
      seen = error;
      response.status(500).send('no cache');
    });
    const server = await listen(app as unknown as ExpressAppLike);
    try {
      const reply = await get(server.base, '/x');
      assert.equal(reply.status, 500);
      assert.ok(seen instanceof NotInstalledError);
      assert.equal((seen as NotInstalledError).code, 'E_NOT_INSTALLED');
    } finally {
      await server.close();
    }
  });

  it('bad settings throw E_INVALID_OPTION where the route is declared; larder(app) twice, bad options too', () => {
    assert.throws(() => cacheResponse({ ttl: -1 }), (error: unknown) => (error as { code?: string }).code === 'E_INVALID_OPTION');
    assert.throws(() => cacheResponse({ statusCodes: [304] }), /304/);
    assert.throws(() => cacheResponse({ nope: 1 } as never), /cacheResponse\.nope/);
    const app = express() as unknown as ExpressAppLike;
    const installed = larder(app, { logger: quiet });
    assert.throws(() => larder(app), /once/);
    assert.throws(() => larder(express() as unknown as ExpressAppLike, { maxBodyBytes: 0 }), /maxBodyBytes/);
    assert.throws(() => larder({} as never), /Express application/);
    return installed.close();
  });
});
