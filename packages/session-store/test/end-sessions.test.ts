import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Cache, MemcachedBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import { MemcachedStore, type SessionData } from '../src/index.js';
import { captureLogger, CookieClient, startExpressApp, startFastifyApp, type ExpressApp } from './helpers.js';

const SECRET = 'a sealing secret of at least 32 characters!';
const userOf = (session: SessionData & { readonly [key: string]: unknown }) => session.user as string | undefined;

type Start = (store: MemcachedStore) => Promise<ExpressApp>;
const MIDDLEWARES: Array<[string, Start]> = [
  ['@fastify/session', (store) => startFastifyApp(store)],
  ['express-session', (store) => startExpressApp(store)],
];

describe('endSessionsOf: log out everywhere, in every process, without enumerating keys', () => {
  let memcached: MemcachedServer;
  before(async () => {
    memcached = await MemcachedServer.start();
  });
  after(() => memcached.stop());

  /** One "process": its own Cache (own connections, own version counters and hints), its own store and app. */
  async function instance(t: TestContext, start: Start, secret: string | undefined): Promise<{ store: MemcachedStore; app: ExpressApp }> {
    const cache = new Cache({ backend: new MemcachedBackend({ servers: memcached.address }), logger: { warn() {} } });
    t.after(() => cache.close());
    const store = new MemcachedStore({ cache }, { userOf, logger: captureLogger().logger, ...(secret ? { secret } : {}) });
    const app = await start(store);
    t.after(() => app.close());
    return { store, app };
  }

  for (const [name, start] of MIDDLEWARES) {
    for (const secret of [undefined, SECRET]) {
      it(`${name}${secret ? ', sealed' : ''}: three sessions of ada in two processes end with one call; bob's stay; a login after it works`, async (t) => {
        const one = await instance(t, start, secret);
        const two = await instance(t, start, secret);
        const login = async (app: ExpressApp, user: string) => {
          const client = new CookieClient();
          assert.equal((await client.request(`${app.url}/login`, 'POST', { user })).status, 200);
          return client;
        };
        const who = async (client: CookieClient, app: ExpressApp) => (await client.request<{ user: string | null }>(`${app.url}/me`)).body.user;
        const ada = [[await login(one.app, 'ada'), one.app], [await login(two.app, 'ada'), two.app], [await login(two.app, 'ada'), one.app]] as const;
        const bob = [[await login(one.app, 'bob'), one.app], [await login(two.app, 'bob'), two.app]] as const;
        // Each process has read each session once (both learn the stamps they carry).
        for (const [client, app] of [...ada, ...bob]) assert.notEqual(await who(client, app), null);
        for (const [client, app] of [...ada, ...bob]) assert.notEqual(await who(client, app === one.app ? two.app : one.app), null);

        await one.store.endSessionsOf('ada');

        for (const [client, app] of ada) {
          assert.equal(await who(client, app), null, 'ended in the process that called');
          assert.equal(await who(client, app === one.app ? two.app : one.app), null, 'ended in the other process too');
        }
        for (const [client, app] of bob) assert.equal(await who(client, app), 'bob', "another user's sessions are untouched");
        const again = await login(two.app, 'ada');
        assert.equal(await who(again, two.app), 'ada', 'a session made after the call works');
        assert.equal(await who(again, one.app), 'ada');
      });
    }

    it(`${name}: a request that read ada's session before endSessionsOf cannot bring it back by saving it`, async (t) => {
      const one = await instance(t, start, undefined);
      const two = await instance(t, start, undefined);
      const client = new CookieClient();
      await client.request(`${one.app.url}/login`, 'POST', { user: 'ada' });
      // The visit reads the session, then the other process ends ada's sessions, then the visit's save runs.
      const read = await one.store.getSession(sessionIdOf(client, name));
      assert.equal(read?.user, 'ada');
      await two.store.endSessionsOf('ada');
      await one.store.setSession(sessionIdOf(client, name), { ...read!, cart: ['late'] } as SessionData);
      assert.equal((await client.request<{ user: string | null }>(`${one.app.url}/me`)).body.user, null);
    });
  }

  it('without userOf, endSessionsOf is a usage error; a bad user id too', async () => {
    const store = new MemcachedStore({ cache: new Cache() });
    await assert.rejects(store.endSessionsOf('ada'), { code: 'E_INVALID_ARGUMENT', message: /userOf/ });
    const withUser = new MemcachedStore({ cache: new Cache() }, { userOf });
    await assert.rejects(withUser.endSessionsOf(''), { code: 'E_INVALID_ARGUMENT' });
    assert.throws(() => new MemcachedStore({ cache: new Cache() }, { userOf: 'user' as never }), { code: 'E_INVALID_OPTION', message: /"?userOf"?/ });
  });
});

/** The session id inside a client's session cookie (unsigned, undecoded). */
function sessionIdOf(client: CookieClient, middleware: string): string {
  const raw = decodeURIComponent(client.cookieHeader.split('=').slice(1).join('='));
  // express-session: s:<id>.<signature>; @fastify/session: <id>.<signature>
  const value = middleware === 'express-session' ? raw.slice(2) : raw;
  return value.slice(0, value.lastIndexOf('.'));
}
