import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Cache } from '@larder/core';
import expressSession from 'express-session';
import { MemcachedStore, type MemcachedStoreOptions, type SessionData, type StoredSession } from '../src/index.js';
import { SessionSeal } from '../src/seal.js';
import { resolveSecrets } from '../src/secrets.js';
import {
  buildFastifyApp,
  captureLogger,
  CookieClient,
  EXPRESS_COOKIE,
  fastifyLogin,
  randomSessionId,
  signedExpressCookie,
  signedFastifyCookie,
  startExpressApp,
} from './helpers.js';

/** A cache with sessions in it, as the conformance suite needs it. */
export interface StoreTarget {
  /** The cache the stores under test keep sessions in. */
  readonly cache: Cache;
  /** A new store on the same sessions, configured as a freshly started process would configure it. */
  newStore(options?: MemcachedStoreOptions): MemcachedStore;
  /** Asserts `key` (a cache key) is present and expires in about `seconds` (TTL as the backend keeps it). */
  expectTtl(key: string, seconds: number): Promise<void>;
  /** Stops servers and closes the cache. */
  dispose(): Promise<void>;
  /** The secret every store of this target seals with (`newStore` passes it); absent: plain JSON. */
  readonly secret?: string;
}

const DAY = 86_400;
const quiet = { warn: () => {} };

const callGet = (store: MemcachedStore, id: string) =>
  new Promise<{ error: Error | null; session: StoredSession | null | undefined; args: number }>((resolve) =>
    store.get(id, (...args: [Error | null, (StoredSession | null)?]) => resolve({ error: args[0], session: args[1], args: args.length })),
  );
const callVoid = (run: (done: (error?: Error | null) => void) => void) =>
  new Promise<Error | null | undefined>((resolve) => run((error) => resolve(error)));

/** A session shaped as @fastify/session and express-session hand it to a store: a cookie and data. */
function sessionWith(cookie: SessionData['cookie'], data: Record<string, unknown> = { user: 'ada' }): SessionData {
  return { cookie: { path: '/', httpOnly: true, ...cookie } as SessionData['cookie'], ...data };
}

const inDays = (days: number) => new Date(Date.now() + days * DAY * 1000);

/**
 * The session-store contract: the callback and promise APIs, TTLs from the cookie, bad data,
 * and whole login flows under @fastify/session (inject) and express-session (real HTTP).
 * Every test uses fresh session ids, so the order of tests does not matter.
 */
export function sessionStoreConformance(name: string, setup: () => Promise<StoreTarget>): void {
  describe(`Session store contract: ${name}`, () => {
    let target: StoreTarget;
    let store: MemcachedStore;

    before(async () => {
      target = await setup();
      store = target.newStore({ logger: quiet });
    });

    /** The JSON text stored under `key` (a cache key), opened when the target seals; undefined when absent. */
    async function storedJson(key: string): Promise<string | undefined> {
      const item = await target.cache.backend.get(target.cache.backendKey(key));
      if (item === undefined) return undefined;
      if (target.secret === undefined) {
        assert.equal(item.flags, 16, 'unsealed: UTF-8 text');
        return item.value.toString('utf8');
      }
      assert.equal(item.flags, 0, 'sealed: bytes');
      const opened = new SessionSeal(resolveSecrets(target.secret)).open(item.value, target.cache.keyPrefix + key, Math.floor(Date.now() / 1000));
      assert.ok(opened.ok, `the value under ${key} opens`);
      return opened.json;
    }
    const storedSession = async (key: string) => JSON.parse((await storedJson(key))!) as StoredSession;
    /** Values read as no session: not sessions (unsealed), or not opening (sealed). */
    const unusable = (watched: MemcachedStore) => (target.secret === undefined ? watched.stats().badSessions : watched.stats().rejectedSessions);
    after(async () => {
      await store.close();
      await target.dispose();
    });

    describe('store API', () => {
      it('get of an unknown id calls back (null, null)', async () => {
        const { error, session, args } = await callGet(store, randomSessionId());
        assert.equal(error, null);
        assert.equal(session, null);
        assert.equal(args, 2);
      });

      it('set then get gives the plain data back, cookie dates as ISO strings', async () => {
        const id = randomSessionId();
        const expires = inDays(1);
        assert.equal(await callVoid((done) => store.set(id, sessionWith({ expires, originalMaxAge: DAY * 1000 }, { user: 'ada', n: 7 }), done)), null);
        const { error, session } = await callGet(store, id);
        assert.equal(error, null);
        const { larderRead, ...data } = session as Record<string, unknown>;
        assert.deepEqual(data, { cookie: { path: '/', httpOnly: true, expires: expires.toISOString(), originalMaxAge: DAY * 1000 }, user: 'ada', n: 7 });
        assert.deepEqual(larderRead, { i: id }, 'a session read carries the stamp of its read (never stored)');
      });

      it('stores the JSON text (a UTF-8 string, flag 16; sealed: its seal, flag 0) under prefix + id', async () => {
        const id = randomSessionId();
        await store.setSession(id, sessionWith({ expires: null }, { user: 'zoë' }));
        assert.deepEqual(JSON.parse((await storedJson(`sess:${id}`))!), { cookie: { path: '/', httpOnly: true, expires: null }, user: 'zoë' });
      });

      it('the prefix option changes the key', async () => {
        const prefixed = target.newStore({ prefix: 'app1:sess:', logger: quiet });
        const id = randomSessionId();
        await prefixed.setSession(id, sessionWith({}));
        assert.equal((await storedSession(`app1:sess:${id}`)).user, 'ada');
        assert.equal(await target.cache.get(`sess:${id}`), undefined);
        assert.equal((await prefixed.getSession(id))?.user, 'ada');
        await prefixed.close();
      });

      it('destroy deletes the session; destroying an unknown id is not an error', async () => {
        const id = randomSessionId();
        await store.setSession(id, sessionWith({}));
        assert.equal(await callVoid((done) => store.destroy(id, done)), null);
        assert.equal(await store.getSession(id), null);
        assert.equal(await callVoid((done) => store.destroy(randomSessionId(), done)), null);
      });

      it('the promise methods see what the callback methods did, and the other way round', async () => {
        const id = randomSessionId();
        await callVoid((done) => store.set(id, sessionWith({}, { user: 'cb' }), done));
        const read = (await store.getSession(id))!;
        assert.equal(read.user, 'cb');
        await store.setSession(id, { ...read, user: 'promise' } as SessionData);
        assert.equal((await callGet(store, id)).session?.user, 'promise');
        await store.destroySession(id);
        assert.equal((await callGet(store, id)).session, null);
      });

      it('a 60-day cookie (expires as a Date) keeps the session 60 days', async () => {
        const id = randomSessionId();
        await store.setSession(id, sessionWith({ expires: inDays(60), originalMaxAge: 60 * DAY * 1000 }));
        await target.expectTtl(`sess:${id}`, 60 * DAY);
      });

      it('expires as an ISO string and maxAge in milliseconds give the TTL too', async () => {
        const byString = randomSessionId();
        await store.setSession(byString, sessionWith({ expires: new Date(Date.now() + 7_200_000).toISOString() }));
        await target.expectTtl(`sess:${byString}`, 7200);
        const byMaxAge = randomSessionId();
        await store.setSession(byMaxAge, sessionWith({ maxAge: 90_000 }));
        await target.expectTtl(`sess:${byMaxAge}`, 90);
      });

      it('a cookie without expiry uses the store ttl', async () => {
        const twoHours = target.newStore({ ttl: '2h', logger: quiet });
        const id = randomSessionId();
        await twoHours.setSession(id, sessionWith({ expires: null, originalMaxAge: null }));
        await target.expectTtl(`sess:${id}`, 7200);
        await twoHours.close();
      });

      it('an already expired cookie deletes the session instead of storing it', async () => {
        const id = randomSessionId();
        await store.setSession(id, sessionWith({ expires: inDays(1) }));
        assert.equal(await callVoid((done) => store.set(id, sessionWith({ expires: new Date(Date.now() - 1000) }), done)), null);
        assert.equal(await target.cache.get(`sess:${id}`), undefined);
        await store.setSession(id, sessionWith({ maxAge: -5 }));
        assert.equal(await target.cache.get(`sess:${id}`), undefined);
      });

      it('a stored session whose cookie has expired reads as no session', async () => {
        const id = randomSessionId();
        await target.cache.set(`sess:${id}`, JSON.stringify({ cookie: { expires: new Date(Date.now() - 60_000).toISOString() }, user: 'old' }), 3600);
        assert.equal(await store.getSession(id), null);
      });

      it('touch gives the TTL the cookie asks for and does not rewrite the data', async () => {
        const id = randomSessionId();
        await store.setSession(id, sessionWith({ maxAge: 60_000 }, { user: 'original' }));
        await target.expectTtl(`sess:${id}`, 60);
        assert.equal(await callVoid((done) => store.touch(id, sessionWith({ maxAge: 7_200_000 }, { user: 'changed in memory' }), done)), null);
        await target.expectTtl(`sess:${id}`, 7200);
        assert.equal((await store.getSession(id))?.user, 'original');
      });

      it('touch of a missing session does not bring it back', async () => {
        const id = randomSessionId();
        assert.equal(await store.touchSession(id, sessionWith({ maxAge: 60_000 })), false);
        assert.equal(await callVoid((done) => store.touch(id, sessionWith({ maxAge: 60_000 }), done)), null);
        assert.equal(await store.getSession(id), null);
      });

      it('touch with an expired cookie deletes the session', async () => {
        const id = randomSessionId();
        await store.setSession(id, sessionWith({ maxAge: 60_000 }));
        assert.equal(await store.touchSession(id, sessionWith({ expires: new Date(Date.now() - 1) })), false);
        assert.equal(await target.cache.get(`sess:${id}`), undefined);
      });

      it('values that are not sessions read as no session, counted, logged once per burst, without the id', async () => {
        const { logger, lines } = captureLogger();
        const watched = target.newStore({ logger });
        const before = unusable(watched);
        const plant: Array<[string, (key: string) => Promise<unknown>]> = [
          ['truncated JSON', (key) => target.cache.set(key, '{"cookie":{"expires":null},"user":"ad', 600)],
          ['a foreign string', (key) => target.cache.set(key, 'hello from another app', 600)],
          ['a number', (key) => target.cache.set(key, 42, 600)],
          // A pickle as pylibmc writes it (protocol 4, {'user': 'x'}), flag 1.
          ['a pickle', (key) => target.cache.backend.set(target.cache.backendKey(key), { value: Buffer.from('8004950f000000000000007d948c0475736572948c017894732e', 'hex'), flags: 1 }, 600)],
          ['JSON without a cookie', (key) => target.cache.set(key, JSON.stringify({ user: 'ada' }), 600)],
          ['JSON object without a cookie', (key) => target.cache.set(key, { user: 'ada', cookie: 'not an object' }, 600)],
        ];
        const ids: string[] = [];
        for (const [what, write] of plant) {
          const id = randomSessionId();
          ids.push(id);
          await write(`sess:${id}`);
          const { error, session } = await callGet(watched, id);
          assert.equal(error, null, what);
          assert.equal(session, null, what);
        }
        assert.equal(unusable(watched) - before, plant.length);
        // A cache the store built logs to the same logger (its own line for the undecodable pickle).
        const storeLines = lines.filter((line) => line.startsWith('larder-session:'));
        assert.equal(storeLines.length, 1, `one line for the burst: ${lines.join('\n')}`);
        assert.match(storeLines[0]!, target.secret === undefined ? /sess:.{6}… is not a session/ : /sess:.{6}… did not open/);
        for (const id of ids) assert.ok(lines.every((line) => !line.includes(id)), 'no line contains a whole session id');
        await watched.close();
      });
    });

    describe('under @fastify/session', () => {
      it('a login is read back from the store on the next request, stored under sess:<id>', async () => {
        const { app } = await buildFastifyApp(store);
        try {
          const { cookie, sessionId } = await fastifyLogin(app, 'grace');
          const me = await app.inject({ method: 'GET', url: '/me', headers: { cookie } });
          assert.equal(me.json<{ user: string }>().user, 'grace');
          const stored = await storedSession(`sess:${sessionId}`);
          assert.equal(stored.user, 'grace');
          assert.equal(typeof stored.cookie, 'object');
        } finally {
          await app.close();
        }
      });

      it('the session survives an app restart (a second app with the same store config and secret)', async () => {
        const firstStore = target.newStore({ logger: quiet });
        const first = await buildFastifyApp(firstStore);
        const { cookie, sessionId } = await fastifyLogin(first.app, 'linus');
        await first.app.close();
        await firstStore.close();

        const secondStore = target.newStore({ logger: quiet });
        const second = await buildFastifyApp(secondStore);
        try {
          const me = await second.app.inject({ method: 'GET', url: '/me', headers: { cookie } });
          assert.deepEqual(me.json(), { user: 'linus', sessionId });
        } finally {
          await second.app.close();
          await secondStore.close();
        }
      });

      it('logout destroys the stored session', async () => {
        const { app } = await buildFastifyApp(store);
        try {
          const { cookie, sessionId } = await fastifyLogin(app, 'ken');
          assert.equal((await app.inject({ method: 'POST', url: '/logout', headers: { cookie } })).statusCode, 200);
          assert.equal(await target.cache.get(`sess:${sessionId}`), undefined);
          assert.equal((await app.inject({ method: 'GET', url: '/me', headers: { cookie } })).json<{ user: null }>().user, null);
        } finally {
          await app.close();
        }
      });

      it('a 60-day cookie keeps the session 60 days in the cache', async () => {
        const { app } = await buildFastifyApp(store, { cookie: { maxAge: 60 * DAY * 1000 } });
        try {
          const { sessionId } = await fastifyLogin(app, 'barbara');
          await target.expectTtl(`sess:${sessionId}`, 60 * DAY);
        } finally {
          await app.close();
        }
      });

      it('a value under the session key that is not a session is a logged-out request, not a 500', async () => {
        const watched = target.newStore({ logger: quiet });
        const { app, errors } = await buildFastifyApp(watched);
        try {
          const id = randomSessionId();
          await target.cache.set(`sess:${id}`, '{"cookie":{"expires":', 600);
          const me = await app.inject({ method: 'GET', url: '/me', headers: { cookie: signedFastifyCookie(id) } });
          assert.equal(me.statusCode, 200);
          assert.equal(me.json<{ user: null }>().user, null);
          assert.notEqual(me.json<{ sessionId: string }>().sessionId, id, 'a new session');
          assert.equal(unusable(watched), 1);
          assert.deepEqual(errors, []);
        } finally {
          await app.close();
          await watched.close();
        }
      });
    });

    describe('under express-session', () => {
      it('a login (after regenerate) is read back on the next request, and survives an app restart', async () => {
        const firstStore = target.newStore({ logger: quiet });
        const first = await startExpressApp(firstStore, { cookie: { maxAge: 3_600_000 } });
        const client = new CookieClient();
        let sessionId: string;
        try {
          assert.equal((await client.request(`${first.url}/login`, 'POST', { user: 'margaret' })).status, 200);
          const me = await client.request<{ user: string; sessionId: string }>(`${first.url}/me`);
          assert.equal(me.body.user, 'margaret');
          sessionId = me.body.sessionId;
          const stored = await storedSession(`sess:${sessionId}`);
          assert.equal(stored.user, 'margaret');
          // express-session's Cookie sets originalMaxAge to `expires - Date.now()` right after
          // setting expires to `Date.now() + maxAge`: a millisecond short whenever the clock
          // ticks between those two reads (about 1 login in 2,000, more on a loaded machine),
          // and again on each request. What is stored is that value, not maxAge exactly.
          const originalMaxAge = stored.cookie.originalMaxAge!;
          assert.ok(originalMaxAge <= 3_600_000 && originalMaxAge > 3_600_000 - 1000, `originalMaxAge ${originalMaxAge}`);
          await target.expectTtl(`sess:${sessionId}`, 3600);
        } finally {
          await first.close();
          await firstStore.close();
        }
        const secondStore = target.newStore({ logger: quiet });
        const second = await startExpressApp(secondStore, { cookie: { maxAge: 3_600_000 } });
        try {
          assert.deepEqual((await client.request(`${second.url}/me`)).body, { user: 'margaret', sessionId });
          assert.deepEqual(second.errors, []);
        } finally {
          await second.close();
          await secondStore.close();
        }
      });

      it('an unmodified request touches the session: the TTL is extended, the data not rewritten', async () => {
        const app = await startExpressApp(store, { cookie: { maxAge: 3_600_000 } });
        const client = new CookieClient();
        try {
          await client.request(`${app.url}/login`, 'POST', { user: 'edsger' });
          const { sessionId } = (await client.request<{ sessionId: string }>(`${app.url}/me`)).body;
          const key = `sess:${sessionId}`;
          const storedBefore = await target.cache.backend.get(target.cache.backendKey(key));
          await target.cache.touch(key, 100);
          await target.expectTtl(key, 100);
          assert.equal((await client.request<{ user: string }>(`${app.url}/me`)).body.user, 'edsger');
          await target.expectTtl(key, 3600);
          assert.deepEqual((await target.cache.backend.get(target.cache.backendKey(key)))?.value, storedBefore?.value);
        } finally {
          await app.close();
        }
      });

      it('logout destroys the stored session; load gives an express-session Session', async () => {
        const app = await startExpressApp(store);
        const client = new CookieClient();
        try {
          await client.request(`${app.url}/login`, 'POST', { user: 'alan' });
          const { sessionId } = (await client.request<{ sessionId: string }>(`${app.url}/me`)).body;
          const loaded = await new Promise<{ user?: string; cookie: unknown } | undefined>((resolve, reject) =>
            (store as MemcachedStore & { load(id: string, cb: (e: unknown, s?: { user?: string; cookie: unknown }) => void): void }).load(sessionId, (error, session) =>
              error ? reject(error as Error) : resolve(session),
            ),
          );
          assert.equal(loaded?.user, 'alan');
          assert.ok(loaded instanceof expressSession.Session, 'an express-session Session');
          assert.ok(loaded.cookie instanceof expressSession.Cookie, 'with a Cookie');
          assert.equal((await client.request(`${app.url}/logout`, 'POST')).status, 200);
          assert.equal(await target.cache.get(`sess:${sessionId}`), undefined);
        } finally {
          await app.close();
        }
      });

      it('a value under the session key that is not a session is a logged-out request, not a 500', async () => {
        const watched = target.newStore({ logger: quiet });
        const app = await startExpressApp(watched);
        const client = new CookieClient();
        try {
          const id = randomSessionId();
          await target.cache.set(`sess:${id}`, 12345, 600);
          client.setCookie(EXPRESS_COOKIE, signedExpressCookie(id));
          const me = await client.request<{ user: null; sessionId: string }>(`${app.url}/me`);
          assert.equal(me.status, 200);
          assert.equal(me.body.user, null);
          assert.notEqual(me.body.sessionId, id);
          assert.equal(unusable(watched), 1);
          assert.deepEqual(app.errors, []);
        } finally {
          await app.close();
          await watched.close();
        }
      });
    });
  });
}
