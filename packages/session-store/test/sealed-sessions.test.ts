import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cache, MemcachedBackend, Flags } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import { MemcachedStore, type RejectedSessionEvent, type MemcachedStoreOptions } from '../src/index.js';
import { CookieClient, countCommands, startExpressApp, startFastifyApp, type ExpressApp } from './helpers.js';

const quiet = { warn: () => {} };
const SECRET = 'the sealing secret of this app, 32 characters or more';
const OLD_SECRET = 'the secret this app sealed with last year, 32+ chars';
const FOREIGN_SECRET = 'another app on the same memcached, its own secret!!';

/** The two frameworks, each started on a store over real HTTP, with the options the tests vary. */
interface Framework {
  readonly name: string;
  start(store: MemcachedStore, options?: { resave?: boolean; maxAge?: number; gate?: () => Promise<void> }): Promise<ExpressApp>;
}

const frameworks: Framework[] = [
  {
    name: '@fastify/session (rolling)',
    start: (store, options = {}) =>
      startFastifyApp(store, { rolling: true, cookie: { maxAge: options.maxAge ?? 3_600_000 }, ...(options.gate ? { gate: options.gate } : {}) }),
  },
  {
    name: 'express-session (rolling, resave: false: it calls touch)',
    start: (store, options = {}) => startExpressApp(store, { rolling: true, resave: options.resave ?? false, cookie: { maxAge: options.maxAge ?? 3_600_000 }, ...(options.gate ? { gate: options.gate } : {}) }),
  },
  {
    name: 'express-session (rolling, resave: true: it calls set)',
    start: (store, options = {}) => startExpressApp(store, { rolling: true, resave: true, cookie: { maxAge: options.maxAge ?? 3_600_000 }, ...(options.gate ? { gate: options.gate } : {}) }),
  },
];

describe('sealed sessions on real memcached, over real HTTP', () => {
  let server: MemcachedServer;
  /** The test's own view of memcached, to read and write raw values as anyone with access to the cache can. */
  let cache: Cache;
  const stores: MemcachedStore[] = [];

  before(async () => {
    server = await MemcachedServer.start();
    cache = new Cache({ backend: new MemcachedBackend({ servers: server.address }), logger: quiet });
  });
  after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await cache.close();
    await server.stop();
  });

  /** A store as an app would build it: its own connection, sealing with `secret` (null: not sealing); its `rejected` events kept. */
  function newStore(secret: MemcachedStoreOptions['secret'] | null = SECRET): MemcachedStore & { rejected: RejectedSessionEvent[] } {
    const store = Object.assign(new MemcachedStore({ servers: server.address }, { logger: quiet, ...(secret === null ? {} : { secret }) }), {
      rejected: [] as RejectedSessionEvent[],
    });
    store.on('rejected', (event: RejectedSessionEvent) => store.rejected.push(event));
    stores.push(store);
    return store;
  }
  const rawKey = (sessionId: string) => cache.backendKey(`sess:${sessionId}`);
  const readRaw = (sessionId: string) => cache.backend.get(rawKey(sessionId));
  const writeRaw = (sessionId: string, value: Buffer | string, flags: number) =>
    cache.backend.set(rawKey(sessionId), { value: Buffer.isBuffer(value) ? value : Buffer.from(value), flags }, 3600);

  /** Logs `user` in through the app with a fresh cookie jar; returns the jar and the session id. */
  async function login(app: ExpressApp, user: string, padding?: number): Promise<{ client: CookieClient; sessionId: string }> {
    const client = new CookieClient();
    const response = await client.request(`${app.url}/login`, 'POST', { user, ...(padding ? { padding } : {}) });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const me = await client.request<{ user: string; sessionId: string }>(`${app.url}/me`);
    assert.equal(me.body.user, user);
    return { client, sessionId: me.body.sessionId };
  }

  const me = async (app: ExpressApp, client: CookieClient) => (await client.request<{ user: string | null; sessionId: string; padding?: number }>(`${app.url}/me`)).body;

  for (const framework of frameworks) {
    describe(`under ${framework.name}`, () => {
      it('the raw value in memcached holds no plaintext of the session: sealed bytes, "LS" and version 1', async () => {
        const store = newStore();
        const app = await framework.start(store);
        try {
          const user = `margaret-${Math.random().toString(36).slice(2)}`;
          const { sessionId } = await login(app, user);
          const item = await readRaw(sessionId);
          assert.ok(item, 'stored');
          assert.equal(item.flags, Flags.BYTES);
          assert.equal(item.value.subarray(0, 3).toString('latin1'), 'LS\x01');
          for (const plain of [user, 'margaret', 'cookie', 'expires', 'originalMaxAge', 'httpOnly', 'user', sessionId, '3600000']) {
            assert.equal(item.value.includes(plain), false, `the raw value contains ${JSON.stringify(plain)}`);
          }
          assert.deepEqual(app.errors, []);
        } finally {
          await app.close();
        }
      });

      it('a value written raw logs nobody in, counted and emitted, never a 500: plain JSON (guest → admin), another id’s sealed value, a truncated one, another app’s', async () => {
        const store = newStore();
        const app = await framework.start(store);
        try {
          const admin = await login(app, 'admin');
          const adminSealed = (await readRaw(admin.sessionId))!.value;
          const forgeries: Array<[string, (sessionId: string) => Promise<unknown>, RejectedSessionEvent['reason']]> = [
            // The attack: the guest's session rewritten as plain JSON naming the admin.
            ['plain JSON', (id) => writeRaw(id, JSON.stringify({ cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000), path: '/', httpOnly: true }, user: 'admin' }), Flags.TEXT), 'not-sealed'],
            ['the admin’s sealed value copied under the guest’s id', (id) => writeRaw(id, adminSealed, Flags.BYTES), 'tampered'],
            ['the guest’s own sealed value, truncated by one byte', async (id) => writeRaw(id, (await readRaw(id))!.value.subarray(0, -1), Flags.BYTES), 'tampered'],
            ['the guest’s own sealed value, truncated to its header', async (id) => writeRaw(id, (await readRaw(id))!.value.subarray(0, 35), Flags.BYTES), 'malformed'],
            ['the guest’s own sealed value with one bit flipped', async (id) => {
              const value = Buffer.from((await readRaw(id))!.value);
              value[value.length - 20]! ^= 1;
              return writeRaw(id, value, Flags.BYTES);
            }, 'tampered'],
            ['a value another app sealed with its own secret', async (id) => {
              const foreign = newStore(FOREIGN_SECRET);
              // A new session is never written over one that is there: the other app's value replaces the guest's once it is gone.
              await foreign.destroySession(id);
              await foreign.setSession(id, { cookie: { maxAge: 3_600_000 }, user: 'admin' } as never);
            }, 'unknown-secret'],
          ];
          for (const [what, forge, reason] of forgeries) {
            const guest = await login(app, 'guest');
            await forge(guest.sessionId);
            const rejectedBefore = store.stats().rejectedSessions;
            const response = await guest.client.request<{ user: string | null; sessionId: string }>(`${app.url}/me`);
            assert.equal(response.status, 200, what);
            assert.equal(response.body.user, null, `${what}: logged in as ${response.body.user}`);
            assert.notEqual(response.body.sessionId, guest.sessionId, `${what}: a new session`);
            assert.equal(store.stats().rejectedSessions - rejectedBefore, 1, `${what}: counted once`);
            assert.equal(store.rejected.at(-1)?.reason, reason, what);
            assert.equal(store.rejected.at(-1)?.session, `${guest.sessionId.slice(0, 6)}…`, 'the event names the session redacted');
          }
          assert.equal((await me(app, admin.client)).user, 'admin', 'the admin is still logged in');
          assert.deepEqual(app.errors, []);
        } finally {
          await app.close();
        }
      });

      it('rotation: sessions sealed with the old secret open after a new first secret is added, and are resealed with it on their next write', async () => {
        const oldStore = newStore(OLD_SECRET);
        const oldApp = await framework.start(oldStore);
        const changed = await login(oldApp, 'ada');
        const unchanged = await login(oldApp, 'grace');
        await oldApp.close();

        const rotated = newStore([SECRET, OLD_SECRET]);
        const app = await framework.start(rotated);
        const onlyNew = newStore(SECRET);
        const onlyOld = newStore(OLD_SECRET);
        try {
          assert.equal((await me(app, changed.client)).user, 'ada', 'opened with the old secret');
          assert.equal((await changed.client.request<{ visits: number }>(`${app.url}/visit`)).body.visits, 1);
          assert.equal((await onlyNew.getSession(changed.sessionId))?.user, 'ada', 'resealed with the new secret by the write');
          assert.equal(await onlyOld.getSession(changed.sessionId), null);
          assert.equal(onlyOld.rejected.at(-1)?.reason, 'unknown-secret');

          // Unchanged, it is resealed too (in place: memcached replace), then touched as any other.
          const first = await countCommands(server, () => me(app, unchanged.client));
          assert.deepEqual({ sets: first.sets, touches: first.touches }, { sets: 1, touches: 0 });
          assert.equal((await onlyNew.getSession(unchanged.sessionId))?.user, 'grace');
          const next = await countCommands(server, () => me(app, unchanged.client));
          assert.deepEqual({ sets: next.sets, touches: next.touches }, { sets: 0, touches: 1 });
          assert.deepEqual(app.errors, []);
        } finally {
          await app.close();
        }
      });

      it('a session over 1 MB (memcached’s item limit) is sealed, read back, touched when unchanged and written when changed', async () => {
        const store = newStore();
        const app = await framework.start(store);
        try {
          let session!: { client: CookieClient; sessionId: string };
          const written = await countCommands(server, async () => (session = await login(app, 'ada', 900_000)));
          assert.ok(written.sets >= 3, `written in chunks (two and their manifest): ${written.sets} sets`);
          const { client, sessionId } = session;
          assert.equal((await readRaw(sessionId))!.value.subarray(0, 3).toString('latin1'), 'LS\x01', 'sealed');
          const unchanged = await countCommands(server, async () => {
            for (let i = 0; i < 3; i++) assert.deepEqual(await me(app, client), { user: 'ada', sessionId, padding: 1_200_000 });
          });
          assert.equal(unchanged.sets, 0);
          assert.ok(unchanged.touches >= 3, `touched (every chunk): ${unchanged.touches}`);
          const changed = await countCommands(server, () => client.request(`${app.url}/visit`));
          assert.ok(changed.sets >= 2, `written again, in chunks: ${changed.sets}`);
          assert.deepEqual(await me(app, client), { user: 'ada', sessionId, padding: 1_200_000 });
          assert.deepEqual(app.errors, []);
        } finally {
          await app.close();
        }
      });

      for (const [kind, secret] of [['sealed', SECRET], ['plain JSON', null]] as const) {
        it(`${kind}: 20 unchanged requests are 20 touches and 0 sets (memcached’s cmd_touch / cmd_set); a changed request is a set`, async () => {
          const store = newStore(secret);
          const app = await framework.start(store);
          try {
            const { client } = await login(app, 'ada');
            const unchanged = await countCommands(server, async () => {
              for (let i = 0; i < 20; i++) assert.equal((await me(app, client)).user, 'ada');
            });
            assert.deepEqual(unchanged, { sets: 0, touches: 20, gets: 20 });
            const concurrent = await countCommands(server, () => Promise.all(Array.from({ length: 10 }, () => me(app, client))));
            assert.deepEqual(concurrent, { sets: 0, touches: 10, gets: 10 }, 'concurrent requests on one session each find their own read');
            const changed = await countCommands(server, async () => {
              for (let i = 0; i < 3; i++) await client.request(`${app.url}/visit`);
            });
            assert.deepEqual(changed, { sets: 3, touches: 0, gets: 3 });
            assert.equal((await me(app, client)).user, 'ada');
            assert.deepEqual(app.errors, []);
          } finally {
            await app.close();
          }
        });

        it(`${kind}: a logout is not undone by a request that read the session before it and saves it unchanged after it`, async () => {
          let release!: () => void;
          let reached!: () => void;
          const slowReached = new Promise<void>((resolve) => (reached = resolve));
          const gate = () => {
            reached();
            return new Promise<void>((resolve) => (release = resolve));
          };
          const store = newStore(secret);
          const app = await framework.start(store, { gate });
          try {
            const { client, sessionId } = await login(app, 'ada');
            const slow = client.request<{ user: string | null }>(`${app.url}/slow`);
            await slowReached;
            const other = client.clone();
            assert.equal((await other.request(`${app.url}/logout`, 'POST')).status, 200);
            assert.equal(await readRaw(sessionId), undefined, 'logged out');
            release();
            assert.equal((await slow).body.user, 'ada', 'the slow request had read the session');
            assert.equal(await readRaw(sessionId), undefined, 'the logout stands');
            assert.equal((await me(app, other)).user, null);
            assert.deepEqual(app.errors, []);
          } finally {
            await app.close();
          }
        });
      }
    });
  }

  it('without a secret the same forgery works: plain JSON anyone with access to memcached can read and rewrite (why `secret` exists)', async () => {
    const store = newStore(null);
    const app = await frameworks[0]!.start(store);
    try {
      const guest = await login(app, 'guest');
      const item = await readRaw(guest.sessionId);
      assert.match(item!.value.toString(), /"user":"guest"/);
      await writeRaw(guest.sessionId, item!.value.toString().replace('"user":"guest"', '"user":"admin"'), Flags.TEXT);
      assert.equal((await me(app, guest.client)).user, 'admin');
    } finally {
      await app.close();
    }
  });
});
