import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Cache } from '@larder/core';
import { HashRing, MemcachedBackend, parseServerList, type NodeStateChange } from '@larder/core/memcached';
import { MemcachedServer } from '@larder/testing';
import { MemcachedStore } from '../src/index.js';
import { captureLogger, CookieClient, startExpressApp, startFastifyApp, type ExpressApp } from './helpers.js';

type Start = (store: MemcachedStore) => Promise<ExpressApp>;
const MIDDLEWARES: Array<[string, Start]> = [
  ['@fastify/session', (store) => startFastifyApp(store)],
  ['express-session', (store) => startExpressApp(store)],
];
const OUTAGES = ['SIGSTOP (longer than the timeout), then SIGCONT', 'kill -9, then a restart'] as const;
const ROUNDS = 3;

/** A request with a fixed Cookie header (alice's cookie, as a thief holds it). */
async function send(url: string, cookie: string, method = 'GET'): Promise<{ status: number; user: string | null | undefined }> {
  const response = await fetch(url, { method, headers: { cookie } });
  const body = (await response.json()) as { user?: string | null };
  return { status: response.status, user: body.user };
}

/** Three memcached nodes behind one store (timeout 200 ms), with node state changes recorded. */
async function cluster(t: TestContext) {
  const servers = await Promise.all([MemcachedServer.start(), MemcachedServer.start(), MemcachedServer.start()]);
  t.after(() => Promise.all(servers.map((server) => server.stop())));
  const changes: NodeStateChange[] = [];
  const addresses = servers.map((server) => server.address);
  const backend = new MemcachedBackend({ servers: addresses, timeout: 200, deadTimeout: '300ms', onNodeChange: (change) => changes.push(change) });
  const cache = new Cache({ backend, logger: { warn() {} } });
  t.after(() => cache.close());
  const store = new MemcachedStore({ cache }, { logger: captureLogger().logger });
  const ring = new HashRing(parseServerList(addresses).map((address, i) => ({ address, node: servers[i]! })));
  return { store, changes, ownerOf: (sessionId: string) => ring.nodeFor(cache.backendKey(`sess:${sessionId}`)) };
}

/** Polls `probe` until it returns true, for at most `ms`. */
async function until(ms: number, probe: () => Promise<boolean>, what: string): Promise<void> {
  const start = performance.now();
  while (!(await probe())) {
    if (performance.now() - start > ms) throw new Error(`${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a logout made while the node holding the session is out of service never answers 2xx, and one made after holds', () => {
  for (const [name, start] of MIDDLEWARES) {
    for (const outage of OUTAGES) {
      it(`${name}, ${outage}: /me and POST /logout answer 503 (never "nobody", never a 2xx logout) while the node is out; after the rejoin a logout holds (${ROUNDS} rounds, 0 resurrections)`, async (t) => {
        const { store, changes, ownerOf } = await cluster(t);
        const app = await start(store);
        t.after(() => app.close());
        let resurrections = 0;
        const statuses: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const alice = new CookieClient();
          assert.equal((await alice.request(`${app.url}/login`, 'POST', { user: 'alice' })).status, 200);
          const cookie = alice.cookieHeader;
          const { body } = await alice.request<{ user: string; sessionId: string }>(`${app.url}/me`);
          assert.equal(body.user, 'alice');
          const owner = ownerOf(body.sessionId);
          const seen = changes.length;
          if (outage.startsWith('SIGSTOP')) owner.pause();
          else await owner.kill();
          // While the node fails, and once it is out of the ring (alice's key would be read elsewhere), the request fails.
          await until(5000, async () => {
            const me = await send(`${app.url}/me`, cookie);
            statuses.push(me.status);
            assert.ok(me.status === 503, `/me answered ${me.status} (${String(me.user)}) during the outage`);
            return changes.slice(seen).some((change) => change.server === owner.address && change.state === 'dead');
          }, `${owner.address} was not taken out of the ring`);
          for (let i = 0; i < 2; i++) assert.equal((await send(`${app.url}/me`, cookie)).status, 503, 'out of the ring: still 503, never "nobody"');
          const failedLogout = await send(`${app.url}/logout`, cookie, 'POST');
          assert.equal(failedLogout.status, 503, 'no 2xx for a logout that could not delete the session');
          if (outage.startsWith('SIGSTOP')) owner.resume();
          else await owner.restart();
          await until(8000, async () => {
            await send(`${app.url}/me`, cookie);
            return changes.slice(seen).some((change) => change.server === owner.address && change.state === 'alive');
          }, `${owner.address} did not rejoin`);
          // Keys read elsewhere while the node was out are removed from it before it rejoins (a restarted one lost them anyway):
          // alice signs in again, which the 503s told her nothing against.
          const back = await send(`${app.url}/me`, cookie);
          assert.equal(back.status, 200);
          assert.equal(back.user, null);
          assert.equal((await alice.request(`${app.url}/login`, 'POST', { user: 'alice' })).status, 200);
          assert.equal((await alice.request<{ user: string }>(`${app.url}/me`)).body.user, 'alice');
          const signedIn = alice.cookieHeader;
          assert.equal((await send(`${app.url}/logout`, signedIn, 'POST')).status, 200);
          for (let i = 0; i < 3; i++) {
            const me = await send(`${app.url}/me`, signedIn);
            assert.equal(me.status, 200);
            if (me.user !== null) resurrections++;
          }
        }
        t.diagnostic(`/me statuses during the outages: ${statuses.join(' ')}`);
        assert.equal(resurrections, 0, `${resurrections} reads after a 2xx logout said alice again`);
      });
    }
  }
});
