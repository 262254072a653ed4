import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { InvalidOptionError, type Cache } from '@larder/core';
import Fastify, { type FastifyInstance } from 'fastify';
import larder from '../src/index.js';
import { quietCache, suiteBackends } from './build-app.js';
import { get, listen } from './http-client.js';

declare module 'fastify' {
  interface Session {
    user?: string;
  }
}

/** Counts handler calls by name. */
function counter(): { count(name: string): number; calls(name: string): number } {
  const calls = new Map<string, number>();
  return {
    count: (name) => calls.set(name, (calls.get(name) ?? 0) + 1).get(name) ?? 0,
    calls: (name) => calls.get(name) ?? 0,
  };
}

// The engine's safety rules (keys, Vary, credentials, never-stored, audiences, memo bounds) are
// tested in @larder/http (test/view-safety.test.ts) on its node:http adapter; this file keeps what
// the Fastify adapter adds: @fastify/session's sessions, and refusals when a route is added.

for (const suite of suiteBackends) {
  describe(`@fastify/session (rolling: false) with the view cache on ${suite.name}`, () => {
    let cache: Cache;
    let dispose: () => Promise<void>;
    let app: FastifyInstance;
    let base: string;
    const { count, calls } = counter();

    before(async () => {
      const made = await suite.make();
      dispose = made.dispose;
      cache = quietCache(made.backend);
      app = Fastify();
      await app.register(larder, { cache });
      await app.register(fastifyCookie);
      await app.register(fastifySession, {
        secret: 'a session secret of at least thirty-two characters',
        cookieName: 'shop_sid',
        rolling: false,
        saveUninitialized: false,
        cookie: { secure: false },
      });
      app.post('/login', async (request) => {
        (request.session as unknown as Record<string, unknown>).user = String((request.query as { user?: string }).user);
        return { ok: true };
      });
      app.get('/dashboard', { config: { cache: true } }, async (request, reply) => {
        count('dashboard');
        const user = (request.session as unknown as Record<string, unknown>).user;
        return reply.type('text/html').send(`<p>${user ? `Signed in as ${String(user)}` : 'Hello guest'}</p>`);
      });
      app.get('/terms', { config: { cache: { shareSessions: true } } }, async () => ({ terms: 'the same for everyone', call: count('terms') }));
      base = await listen(app);
    });
    after(async () => {
      await app.close();
      await cache.close();
      await dispose();
    });

    async function logIn(user: string): Promise<string> {
      const response = await get(base, `/login?user=${user}`, {}, 'POST');
      const setCookie = response.headers['set-cookie']?.[0];
      assert.ok(setCookie, 'logging in sets the session cookie');
      return setCookie.split(';')[0]!;
    }

    it("a guest never sees alice's signed-in page, though it has no Set-Cookie", async () => {
      const cookie = await logIn('alice');
      const page = await get(base, '/dashboard', { cookie });
      assert.equal(page.text, '<p>Signed in as alice</p>');
      assert.equal(page.headers['set-cookie'], undefined, 'rolling: false sends no cookie on this page');
      const again = await get(base, '/dashboard', { cookie });
      assert.equal(again.text, '<p>Signed in as alice</p>');
      const guest = await get(base, '/dashboard');
      assert.equal(guest.text, '<p>Hello guest</p>');
      const bob = await get(base, '/dashboard', { cookie: await logIn('bob') });
      assert.equal(bob.text, '<p>Signed in as bob</p>');
      assert.equal(page.headers.vary, 'Cookie', 'a session-bearing response says Vary: Cookie, as Django does');
      assert.equal(page.headers['x-cache'], 'BYPASS');
    });

    it('guests still share one entry, and a signed-in visitor is not served the guest page', async () => {
      await get(base, '/dashboard', { 'accept-language': 'en' });
      const before = calls('dashboard');
      assert.equal((await get(base, '/dashboard')).headers['x-cache'], 'HIT');
      assert.equal(calls('dashboard'), before);
      const carol = await get(base, '/dashboard', { cookie: await logIn('carol') });
      assert.equal(carol.text, '<p>Signed in as carol</p>');
    });

    it('a stale session cookie (session gone from the store) is a guest', async () => {
      await get(base, '/dashboard');
      const stale = await get(base, '/dashboard', { cookie: 'shop_sid=not-a-valid-signed-id' });
      assert.equal(stale.text, '<p>Hello guest</p>');
      assert.equal(stale.headers['x-cache'], 'HIT');
    });

    it('shareSessions: true lets signed-in visitors share the page', async () => {
      await get(base, '/terms');
      const dave = await get(base, '/terms', { cookie: await logIn('dave') });
      assert.equal(dave.headers['x-cache'], 'HIT');
      assert.equal(calls('terms'), 1);
    });
  });
}

describe('route registration refuses statuses that are never stored (item 12)', () => {
  for (const status of [206, 304]) {
    it(`statusCodes with ${status} fails when the route is added`, async (t) => {
      const app = Fastify();
      t.after(() => app.close());
      await app.register(larder);
      assert.throws(
        () => app.get('/x', { config: { cache: { statusCodes: [200, status] } } }, async () => 'x'),
        (error: unknown) => error instanceof InvalidOptionError && /statusCodes/.test(error.message),
      );
    });
  }

  it('shareAuthorized and shareSessions must be booleans', async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    await app.register(larder);
    assert.throws(() => app.get('/a', { config: { cache: { shareAuthorized: 'yes' as unknown as boolean } } }, async () => 'a'), InvalidOptionError);
    assert.throws(() => app.get('/b', { config: { cache: { shareSessions: 1 as unknown as boolean } } }, async () => 'b'), InvalidOptionError);
  });
});
