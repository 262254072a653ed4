import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { MemcachedStore } from '../src/index.js';
import { captureLogger, CookieClient, Gate, startExpressApp, startFastifyApp, type ExpressApp } from './helpers.js';

const ROUNDS = 50;

type Start = (store: MemcachedStore, options: { gate: () => Promise<void> }) => Promise<ExpressApp>;
const MIDDLEWARES: Array<[string, Start]> = [
  ['@fastify/session', (store, options) => startFastifyApp(store, options)],
  ['express-session', (store, options) => startExpressApp(store, options)],
];

/** A request with a fixed Cookie header (the cookie a thief holds: the logout's Set-Cookie does not change it). */
async function send<T>(url: string, cookie: string, method = 'GET', body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { cookie };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: response.status, body: (await response.json()) as T };
}

describe('a request that read the session does not undo a logout made while it ran', () => {
  let memcached: MemcachedServer;
  before(async () => {
    memcached = await MemcachedServer.start();
  });
  after(() => memcached.stop());

  for (const [name, start] of MIDDLEWARES) {
    for (const secret of [undefined, 'a-secret-of-at-least-thirty-two-characters']) {
      it(`${name}${secret ? ', sealed' : ''}: ${ROUNDS} rounds of slow POST /cart, /logout meanwhile, then the slow save: 0 logouts undone, logged once`, async (t) => {
        const { logger, lines } = captureLogger();
        const store = new MemcachedStore({ servers: memcached.address }, { logger, ...(secret ? { secret } : {}) });
        t.after(() => store.close());
        const gate = new Gate();
        const app = await start(store, { gate: gate.wait });
        t.after(() => app.close());
        let undone = 0;
        const ids: string[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const alice = new CookieClient();
          assert.equal((await alice.request(`${app.url}/login`, 'POST', { user: 'alice' })).status, 200);
          const cookie = alice.cookieHeader;
          ids.push((await send<{ sessionId?: string }>(`${app.url}/me`, cookie)).body.sessionId ?? '');
          const slow = send<{ cart: string[] }>(`${app.url}/cart`, cookie, 'POST', { item: `book ${round}` });
          await gate.entered();
          assert.equal((await send(`${app.url}/logout`, cookie, 'POST')).status, 200);
          assert.deepEqual((await send<{ user: string | null }>(`${app.url}/cart`, cookie)).body.user, null);
          gate.release();
          assert.equal((await slow).status, 200);
          if ((await send<{ user: string | null }>(`${app.url}/cart`, cookie)).body.user !== null) undone++;
        }
        assert.equal(undone, 0, `${undone} of ${ROUNDS} logouts were undone by the slow request's save`);
        const refusals = lines.filter((line) => /was deleted while a request held it/.test(line));
        assert.equal(refusals.length, 1, `one line per burst:\n${lines.join('\n')}`);
        assert.ok(!lines.some((line) => ids.some((id) => id !== '' && line.includes(id))), 'no log line holds a session id');
      });
    }

    it(`${name}: a changed session that was not deleted is still saved, by a slow request and by a quick one`, async (t) => {
      const store = new MemcachedStore({ servers: memcached.address }, { logger: captureLogger().logger });
      t.after(() => store.close());
      const gate = new Gate();
      const app = await start(store, { gate: gate.wait });
      t.after(() => app.close());
      const alice = new CookieClient();
      await alice.request(`${app.url}/login`, 'POST', { user: 'alice' });
      const slow = alice.request(`${app.url}/cart`, 'POST', { item: 'book' });
      await gate.entered();
      gate.release();
      assert.deepEqual((await slow).body, { cart: ['book'] });
      const second = alice.request(`${app.url}/cart`, 'POST', { item: 'pen' });
      await gate.entered();
      gate.release();
      await second;
      assert.deepEqual((await alice.request(`${app.url}/cart`)).body, { user: 'alice', cart: ['book', 'pen'] });
    });
  }
});
