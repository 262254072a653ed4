import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { Cache, MemoryBackend } from '@larder/core';
import { MemcachedStore, SessionStoreError, type SessionData } from '../src/index.js';
import { buildFastifyApp, CookieClient, fastifyLogin, randomSessionId, startExpressApp, storeOnOwnServer } from './helpers.js';
import { UnreachableBackend } from '@larder/core/conformance';

const session = (user = 'ada'): SessionData => ({ cookie: { maxAge: 3_600_000 }, user } as SessionData);

/** Everything a person or a log pipeline could see of an error: message, stack, properties, causes. */
const everything = (error: unknown) => inspect(error, { depth: 6 });

describe('memcached down (the harness server killed)', () => {
  it('under @fastify/session: a read fails the request (503 E_SESSION_READ), a login fails with 503, logs never hold a whole id', async (t) => {
    const { server, store, lines } = await storeOnOwnServer(t);
    const { app, errors } = await buildFastifyApp(store);
    t.after(() => app.close());
    const { cookie, sessionId } = await fastifyLogin(app, 'ada');

    await server.kill();

    const me = await app.inject({ method: 'GET', url: '/me', headers: { cookie } });
    assert.equal(me.statusCode, 503, 'a request that cannot know its session fails rather than run as nobody');
    assert.equal(me.json<{ error: string }>().error, 'E_SESSION_READ');
    assert.equal(store.stats().readFailures, 1);
    assert.ok(lines.some((line) => /^larder-session: could not read session sess:.{6}… \(.*\); the request fails rather than run as nobody$/.test(line)), lines.join('\n'));

    const login = await app.inject({ method: 'POST', url: '/login', payload: { user: 'ada' } });
    assert.equal(login.statusCode, 503, 'a login that cannot be stored fails, as an outage');
    // The error comes from @fastify/session's onSend hook; the error handler's own reply runs
    // that hook again (and fails again), so Fastify's fallback handler writes the response.
    assert.equal(login.json<{ code: string }>().code, 'E_SESSION_WRITE');
    const failure = errors.find((error) => (error as SessionStoreError).code === 'E_SESSION_WRITE');
    assert.ok(failure instanceof SessionStoreError);
    assert.equal(failure.statusCode, 503);
    assert.equal(failure.message, 'The session store could not be reached; please try again shortly');
    assert.ok(lines.some((line) => /^larder-session: could not store session sess:.{6}… in memcached\(127\.0\.0\.1:\d+\): /.test(line)), lines.join('\n'));
    assert.ok(failure.cause instanceof Error, 'the cache error is kept as the cause');
    assert.ok(store.stats().writeFailures >= 1);

    const logout = await app.inject({ method: 'POST', url: '/logout', headers: { cookie } });
    assert.equal(logout.statusCode, 503, 'no 2xx for a logout that did not happen');
    assert.equal(logout.json<{ error: string }>().error, 'E_SESSION_READ');

    for (const text of [...lines, ...errors.map(everything), me.body, login.body, logout.body]) assert.ok(!text.includes(sessionId), `a whole session id in: ${text}`);
  });

  it('under express-session: a read fails the request (503), a login fails loudly with 503', async (t) => {
    const { server, store, lines } = await storeOnOwnServer(t);
    const app = await startExpressApp(store);
    t.after(() => app.close());
    const client = new CookieClient();
    await client.request(`${app.url}/login`, 'POST', { user: 'ada' });
    const { sessionId } = (await client.request<{ sessionId: string }>(`${app.url}/me`)).body;

    await server.kill();

    const me = await client.request<{ error: string }>(`${app.url}/me`);
    assert.equal(me.status, 503);
    assert.equal(me.body.error, 'E_SESSION_READ');
    const fresh = new CookieClient();
    const login = await fresh.request<{ error: string }>(`${app.url}/login`, 'POST', { user: 'ada', regenerate: false });
    assert.equal(login.status, 503);
    assert.equal(login.body.error, 'E_SESSION_WRITE');
    const regenerating = await new CookieClient().request<{ error: string }>(`${app.url}/login`, 'POST', { user: 'ada' });
    assert.equal(regenerating.status, 503);
    assert.equal(regenerating.body.error, 'E_SESSION_DESTROY', 'regenerate deletes the old session first');
    assert.ok(app.errors.every((error) => error instanceof SessionStoreError));
    for (const text of [...lines, ...app.errors.map(everything)]) assert.ok(!text.includes(sessionId), `a whole session id in: ${text}`);
  });

  it('the promise API: get, set and destroy reject, touch → false; nothing shows a whole id', async (t) => {
    const { server, store, lines } = await storeOnOwnServer(t);
    const id = randomSessionId();
    await store.setSession(id, session());
    await server.kill();

    await assert.rejects(store.getSession(id), { code: 'E_SESSION_READ', statusCode: 503 });
    const writeError = await store.setSession(id, session()).then(() => undefined, (error: unknown) => error);
    assert.ok(writeError instanceof SessionStoreError);
    assert.equal(writeError.code, 'E_SESSION_WRITE');
    assert.equal(writeError.session, `${id.slice(0, 6)}…`);
    const destroyError = await store.destroySession(id).then(() => undefined, (error: unknown) => error);
    assert.ok(destroyError instanceof SessionStoreError);
    assert.equal(destroyError.code, 'E_SESSION_DESTROY');
    assert.equal(await store.touchSession(id, session()), false);
    assert.deepEqual(store.stats(), { reads: 1, writes: 1, badSessions: 0, rejectedSessions: 0, readFailures: 1, writeFailures: 2, touchFailures: 1, refusedSaves: 0 });
    assert.ok(lines.some((line) => line.includes('could not extend session')));
    for (const text of [...lines, everything(writeError), everything(destroyError)]) assert.ok(!text.includes(id), `a whole session id in: ${text}`);
  });
});

describe('failing caches (fault injection)', () => {
  for (const ignoreErrors of [true, false]) {
    it(`an unreachable backend (ignoreErrors: ${ignoreErrors}): read → E_SESSION_READ, write → E_SESSION_WRITE with the cause, touch → false`, async () => {
      const cache = new Cache({ backend: new UnreachableBackend(), ignoreErrors, logger: { warn: () => {} } });
      const store = new MemcachedStore({ cache }, { logger: { warn: () => {} } });
      const id = randomSessionId();
      await assert.rejects(store.getSession(id), { code: 'E_SESSION_READ', statusCode: 503 });
      await assert.rejects(store.setSession(id, session()), (error: unknown) => {
        assert.ok(error instanceof SessionStoreError);
        assert.equal(error.code, 'E_SESSION_WRITE');
        assert.equal((error.cause as { code?: string }).code, 'E_CONNECTION');
        return true;
      });
      await assert.rejects(store.destroySession(id), { code: 'E_SESSION_DESTROY' });
      assert.equal(await store.touchSession(id, session()), false);
      assert.deepEqual(store.stats(), { reads: 1, writes: 0, badSessions: 0, rejectedSessions: 0, readFailures: 1, writeFailures: 2, touchFailures: 1, refusedSaves: 0 });
    });
  }

  it('the failure is reported to the callback; a set without a callback leaves no unhandled rejection', async () => {
    const store = new MemcachedStore({ cache: new Cache({ backend: new UnreachableBackend(), logger: { warn: () => {} } }) }, { logger: { warn: () => {} } });
    const id = randomSessionId();
    const error = await new Promise<Error | null | undefined>((resolve) => store.set(id, session(), resolve));
    assert.ok(error instanceof SessionStoreError);
    const getResult = await new Promise<unknown[]>((resolve) => store.get(id, (...args) => resolve(args)));
    assert.equal(getResult.length, 1);
    assert.ok(getResult[0] instanceof SessionStoreError && getResult[0].code === 'E_SESSION_READ');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    store.set(id, session());
    store.destroy(id);
    // Unhandled rejections are reported once the microtask queue drains; two turns are plenty.
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, []);
    assert.equal(store.stats().writeFailures, 3);
  });

  it('a session larger than the backend takes is E_SESSION_WRITE with ValueTooLargeError as the cause', async () => {
    const store = new MemcachedStore({ cache: new Cache({ backend: new MemoryBackend({ maxValueSize: 1000 }), compressThreshold: 0 }) }, { logger: { warn: () => {} } });
    const id = randomSessionId();
    await assert.rejects(store.setSession(id, session('x'.repeat(5000))), (error: unknown) => {
      assert.ok(error instanceof SessionStoreError);
      assert.equal(error.code, 'E_SESSION_WRITE');
      assert.equal((error.cause as { code?: string }).code, 'E_VALUE_TOO_LARGE');
      assert.ok(!everything(error).includes(id));
      return true;
    });
  });

  it('a session that has no JSON form, or no cookie, is E_SESSION_ENCODE and nothing is stored', async () => {
    const cache = new Cache();
    const store = new MemcachedStore({ cache }, { logger: { warn: () => {} } });
    const id = randomSessionId();
    const circular = session() as SessionData & { self?: unknown };
    circular.self = circular;
    await assert.rejects(store.setSession(id, circular), { name: 'SessionStoreError', code: 'E_SESSION_ENCODE' });
    await assert.rejects(store.setSession(id, { cookie: {}, big: 10n } as SessionData), { code: 'E_SESSION_ENCODE' });
    await assert.rejects(store.setSession(id, { user: 'x' } as unknown as SessionData), { code: 'E_SESSION_ENCODE', message: /cookie/ });
    assert.equal(await cache.get(`sess:${id}`), undefined);
  });
});
