import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cache, MemcachedBackend } from '@larder/core';
import { MemcachedServer, metaTtl, runPython } from '@larder/testing';
import { MemcachedStore, type StoredSession } from '../src/index.js';
import { buildFastifyApp, fastifyLogin, randomSessionId, signedFastifyCookie } from './helpers.js';
import { sessionStoreConformance } from './store-conformance.js';

const quiet = { warn: () => {} };

const SEALING_SECRET = 'the conformance suite sealing secret, 32+ characters';

for (const secret of [undefined, SEALING_SECRET]) {
  sessionStoreConformance(secret ? 'real memcached, sealed sessions' : 'real memcached', async () => {
    const server = await MemcachedServer.start();
    const cache = new Cache({ backend: new MemcachedBackend({ servers: server.address }), logger: quiet });
    return {
      cache,
      ...(secret ? { secret } : {}),
      // A store that builds its own Cache from the server list, as a freshly started app would.
      newStore: (options = {}) => new MemcachedStore({ servers: server.address }, { ...(secret ? { secret } : {}), ...options }),
      expectTtl: async (key, seconds) => {
        const ttl = await metaTtl(server.host, server.port, cache.backendKey(key));
        assert.ok(ttl !== undefined && Math.abs(ttl - seconds) <= 5, `memcached reports ${ttl} s left for ${key}, expected about ${seconds}`);
      },
      dispose: async () => {
        await cache.close();
        await server.stop();
      },
    };
  });
}

describe('MemcachedStore on SASL memcached', () => {
  const sasl = { username: 'larder', password: 'session-secret' };
  let server: MemcachedServer;
  before(async () => {
    server = await MemcachedServer.start({ sasl });
  });
  after(() => server.stop());

  it('logs in through @fastify/session with credentials; wrong ones are a typed error at connect()', async () => {
    const store = new MemcachedStore({ servers: server.address, ...sasl }, { logger: quiet });
    const { app } = await buildFastifyApp(store);
    try {
      await store.connect();
      const { cookie, sessionId } = await fastifyLogin(app, 'ada');
      assert.equal((await app.inject({ method: 'GET', url: '/me', headers: { cookie } })).json<{ user: string }>().user, 'ada');
      assert.equal((await store.getSession(sessionId))?.user, 'ada');
    } finally {
      await app.close();
      await store.close();
    }
    const wrong = new MemcachedStore({ servers: server.address, username: 'larder', password: 'nope' }, { logger: quiet });
    await assert.rejects(wrong.connect(), { code: 'E_AUTH' });
    await wrong.close();
  });
});

describe('MemcachedStore and Python clients on one memcached', () => {
  let server: MemcachedServer;
  before(async () => {
    server = await MemcachedServer.start();
  });
  after(() => server.stop());

  it('a pickle pylibmc wrote under sess:<id> is a logged-out request, counted, not a 500', async () => {
    const id = randomSessionId();
    runPython(
      `import json, sys, pylibmc
req = json.load(sys.stdin)
pylibmc.Client([req['server']], binary=True).set(req['key'], {'user': 'from python', 'cookie': {}})
print(json.dumps({'ok': True}))`,
      { server: server.address, key: `sess:${id}` },
    );
    const store = new MemcachedStore({ servers: server.address }, { logger: quiet });
    const { app, errors } = await buildFastifyApp(store);
    try {
      const me = await app.inject({ method: 'GET', url: '/me', headers: { cookie: signedFastifyCookie(id) } });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json<{ user: null }>().user, null);
      assert.equal(store.stats().badSessions, 1);
      assert.deepEqual(errors, []);
    } finally {
      await app.close();
      await store.close();
    }
  });

  it('pylibmc reads a stored session as a str holding JSON', async () => {
    const store = new MemcachedStore({ servers: server.address }, { logger: quiet });
    const id = randomSessionId();
    await store.setSession(id, { cookie: { expires: new Date('2031-01-02T03:04:05.000Z'), originalMaxAge: null }, user: 'ada' } as StoredSession);
    await store.close();
    const seen = runPython<{ type: string; data: unknown }>(
      `import json, sys, pylibmc
req = json.load(sys.stdin)
value = pylibmc.Client([req['server']], binary=True).get(req['key'])
print(json.dumps({'type': type(value).__name__, 'data': json.loads(value)}))`,
      { server: server.address, key: `sess:${id}` },
    );
    assert.deepEqual(seen, { type: 'str', data: { cookie: { expires: '2031-01-02T03:04:05.000Z', originalMaxAge: null }, user: 'ada' } });
  });
});
