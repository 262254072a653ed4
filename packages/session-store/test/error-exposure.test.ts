import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache, LarderError, MemoryBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import { MemcachedStore, SessionStoreError, type SessionData } from '../src/index.js';
import { buildFastifyApp, CookieClient, randomSessionId, startExpressApp, storeOnOwnServer } from './helpers.js';

const session = (user = 'ada'): SessionData => ({ cookie: { maxAge: 3_600_000 }, user } as SessionData);

/** Asserts an HTTP body says nothing of the server: not its host, its port, nor "memcached". */
function assertNoServerIn(body: string, server: MemcachedServer): void {
  for (const detail of [server.host, String(server.port), 'memcached', 'ECONNREFUSED']) assert.ok(!body.includes(detail), `"${detail}" reached the client: ${body}`);
}

describe('a failed session write never shows the client where memcached runs', () => {
  it("@fastify/session with Fastify's default error handler, over real HTTP: the 503 says the store could not be reached, the log names the server", async (t) => {
    const { server, store, lines } = await storeOnOwnServer(t);
    const logLines: string[] = [];
    const { app } = await buildFastifyApp(store, { defaultErrorHandler: true, fastify: { logger: { level: 'info', stream: { write: (line: string) => void logLines.push(line) } } } });
    t.after(() => app.close());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    const url = `http://127.0.0.1:${address.port}`;
    const post = (path: string, cookie?: string) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify({ user: 'ada' }) });

    const before = await post('/login');
    assert.equal(before.status, 200);
    const cookie = before.headers.getSetCookie()[0]?.split(';')[0];
    assert.ok(cookie);

    await server.stop();

    const login = await post('/login');
    const loginBody = await login.text();
    assert.equal(login.status, 503);
    assertNoServerIn(loginBody, server);
    assert.equal((JSON.parse(loginBody) as { code?: string }).code, 'E_SESSION_WRITE', 'the code is kept');
    assert.equal((JSON.parse(loginBody) as { message?: string }).message, 'The session store could not be reached; please try again shortly');

    const logout = await post('/logout', cookie);
    const logoutBody = await logout.text();
    assert.equal(logout.status, 503);
    assertNoServerIn(logoutBody, server);
    assert.equal((JSON.parse(logoutBody) as { code?: string }).code, 'E_SESSION_READ', 'the logout cannot read its session: no 2xx');

    const named = `${server.host}:${server.port}`;
    assert.ok(lines.some((line) => line.includes(named)), `the store's log names the server:\n${lines.join('\n')}`);
    assert.ok(logLines.some((line) => line.includes(named) && line.includes('E_SESSION_WRITE')), `Fastify's error log names the server (through the cause):\n${logLines.join('')}`);
  });

  it('express-session with an error handler that sends err.message, over real HTTP: the 503 says the store could not be reached, the log names the server', async (t) => {
    const { server, store, lines } = await storeOnOwnServer(t);
    const app = await startExpressApp(store, { exposeMessages: true });
    t.after(() => app.close());
    const client = new CookieClient();
    assert.equal((await client.request(`${app.url}/login`, 'POST', { user: 'ada' })).status, 200);

    await server.stop();

    const me = await client.request<{ error: string; message: string }>(`${app.url}/me`);
    assert.equal(me.status, 503);
    assert.equal(me.body.error, 'E_SESSION_READ');
    const login = await new CookieClient().request<{ error: string; message: string }>(`${app.url}/login`, 'POST', { user: 'ada', regenerate: false });
    assert.equal(login.status, 503);
    assert.equal(login.body.error, 'E_SESSION_WRITE');
    assert.equal(login.body.message, 'The session store could not be reached; please try again shortly');
    assertNoServerIn(JSON.stringify(login.body), server);
    const regenerate = await new CookieClient().request<{ error: string }>(`${app.url}/login`, 'POST', { user: 'ada' });
    assert.equal(regenerate.status, 503);
    assert.equal(regenerate.body.error, 'E_SESSION_DESTROY');
    assertNoServerIn(JSON.stringify(regenerate.body), server);

    assert.ok(lines.some((line) => line.includes(`${server.host}:${server.port}`)), `the store's log names the server:\n${lines.join('\n')}`);
    const failure = app.errors[0];
    assert.ok(failure instanceof SessionStoreError);
    assert.ok(String((failure.cause as Error).message).includes(`${server.host}:${server.port}`), 'the cause keeps the detail, for logs');
  });
});

describe('session store errors are LarderErrors', () => {
  it('SessionStoreError is a LarderError and keeps its codes', async () => {
    const store = new MemcachedStore({ cache: new Cache({ backend: new MemoryBackend() }) }, { logger: { warn: () => {} } });
    const error = await store.setSession(randomSessionId(), { user: 'x' } as unknown as SessionData).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof SessionStoreError);
    assert.ok(error instanceof LarderError);
    assert.equal(error.code, 'E_SESSION_ENCODE');
    assert.equal(error.name, 'SessionStoreError');
  });
});

describe('session ids that are not ids', () => {
  const notIds: unknown[] = ['', 42, null, undefined, { id: 'x' }, ['a']];

  it('get, set, destroy and touch hand their callback an E_INVALID_ARGUMENT LarderError and never read the key "sess:"', async () => {
    const cache = new Cache({ backend: new MemoryBackend() });
    const store = new MemcachedStore({ cache }, { logger: { warn: () => {} } });
    // A session under the bare prefix: a read of `sess:` would find it.
    await cache.set('sess:', JSON.stringify(session('mallory')));
    const calls = {
      get: (id: unknown) => new Promise<unknown[]>((resolve) => store.get(id as string, (...args) => resolve(args))),
      set: (id: unknown) => new Promise<unknown[]>((resolve) => store.set(id as string, session(), (...args) => resolve(args))),
      destroy: (id: unknown) => new Promise<unknown[]>((resolve) => store.destroy(id as string, (...args) => resolve(args))),
      touch: (id: unknown) => new Promise<unknown[]>((resolve) => store.touch(id as string, session(), (...args) => resolve(args))),
    };
    for (const [name, call] of Object.entries(calls)) {
      for (const id of notIds) {
        const [error, value] = await call(id);
        assert.ok(error instanceof LarderError, `${name}(${String(id)}): ${String(error)}`);
        assert.equal(error.code, 'E_INVALID_ARGUMENT');
        assert.notEqual(error.name, 'TypeError');
        assert.equal(value, undefined, `${name}(${String(id)}) gave no session`);
      }
    }
    assert.equal(JSON.parse((await cache.get<string>('sess:'))!).user, 'mallory', 'the value under the bare prefix was neither read nor overwritten nor deleted');
  });

  it('the promise API rejects alike', async () => {
    const store = new MemcachedStore({ cache: new Cache({ backend: new MemoryBackend() }) }, { logger: { warn: () => {} } });
    for (const id of notIds) {
      await assert.rejects(store.getSession(id as string), { code: 'E_INVALID_ARGUMENT' });
      await assert.rejects(store.setSession(id as string, session()), { code: 'E_INVALID_ARGUMENT' });
      await assert.rejects(store.destroySession(id as string), { code: 'E_INVALID_ARGUMENT' });
      await assert.rejects(store.touchSession(id as string, session()), { code: 'E_INVALID_ARGUMENT' });
    }
  });
});
