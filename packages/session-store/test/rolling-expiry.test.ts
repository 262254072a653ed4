import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Cache, Flags, MemcachedBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import { MemcachedStore, type RejectedSessionEvent } from '../src/index.js';
import { CookieClient, startExpressApp, startFastifyApp, type ExpressApp } from './helpers.js';

const quiet = { warn: () => {} };
const SECRET = 'the sealing secret of this app, 32 characters or more';
const MINUTE = 60_000;

// Time is moved with node:test's mocked Date (the store, the frameworks and the test read it);
// memcached keeps its own clock, on which these sessions (a minute's TTL, extended by each touch)
// never expire during the test: what is tested is the store's own reading of the expiries.
describe('rolling sessions kept alive by touches, and sealed values put back later (real memcached, real HTTP)', () => {
  let server: MemcachedServer;
  let cache: Cache;
  before(async () => {
    server = await MemcachedServer.start();
    cache = new Cache({ backend: new MemcachedBackend({ servers: server.address }), logger: quiet });
  });
  after(async () => {
    await cache.close();
    await server.stop();
  });

  const apps: Array<[string, (store: MemcachedStore) => Promise<ExpressApp>]> = [
    ['@fastify/session', (store) => startFastifyApp(store, { rolling: true, cookie: { maxAge: MINUTE } })],
    ['express-session', (store) => startExpressApp(store, { rolling: true, cookie: { maxAge: MINUTE } })],
  ];

  async function setup(t: TestContext, start: (store: MemcachedStore) => Promise<ExpressApp>, secret?: string) {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const store = new MemcachedStore({ servers: server.address }, { logger: quiet, ...(secret ? { secret } : {}) });
    const rejected: RejectedSessionEvent[] = [];
    store.on('rejected', (event: RejectedSessionEvent) => rejected.push(event));
    const app = await start(store);
    t.after(async () => {
      await app.close();
      await store.close();
    });
    const client = new CookieClient();
    assert.equal((await client.request(`${app.url}/login`, 'POST', { user: 'ada' })).status, 200);
    const me = async () => (await client.request<{ user: string | null; sessionId: string }>(`${app.url}/me`)).body;
    return { store, app, client, me, rejected, sessionId: (await me()).sessionId };
  }

  for (const [name, start] of apps) {
    for (const secret of [SECRET, undefined]) {
      it(`${name}, ${secret ? 'sealed' : 'plain JSON'}: a session touched (not rewritten) within its minute lives past the expiry it was written with`, async (t) => {
        const { me, app } = await setup(t, start, secret);
        t.mock.timers.tick(50_000);
        assert.equal((await me()).user, 'ada');
        t.mock.timers.tick(50_000);
        assert.equal((await me()).user, 'ada', '100 s after the login, 50 s after the last request: alive');
        assert.deepEqual(app.errors, []);
      });
    }

    it(`${name}: a sealed session put back into memcached after its logout opens only until its sealed-until (lifetime and half again)`, async (t) => {
      const { me, client, app, sessionId, rejected } = await setup(t, start, SECRET);
      const captured = (await cache.backend.get(cache.backendKey(`sess:${sessionId}`)))!.value;
      const putBack = () => cache.backend.set(cache.backendKey(`sess:${sessionId}`), { value: captured, flags: Flags.BYTES }, 3600);
      const logout = async () => assert.equal((await client.clone().request(`${app.url}/logout`, 'POST')).status, 200);

      // Within its term, sealing cannot tell a value put back from the one that was there (see README).
      await logout();
      await putBack();
      t.mock.timers.tick(89_000);
      assert.equal((await me()).user, 'ada');
      await logout();
      await putBack();
      t.mock.timers.tick(2_000);
      assert.equal((await me()).user, null, '91 s after it was sealed for a minute: it does not open');
      assert.equal(rejected.at(-1)?.reason, 'expired');
      assert.deepEqual(app.errors, []);
    });
  }
});
