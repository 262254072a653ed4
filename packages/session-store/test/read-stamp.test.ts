import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Cache, MemcachedBackend } from '@larder/core';
import { MemcachedStore, type SessionData } from '../src/index.js';
import { MemcachedServer } from '@larder/testing';
import { captureLogger } from './helpers.js';

// Whether a save may write travels with the session (the `larderRead` member its read added),
// not in a store's memory: a save long after the read, in another process, or in a process that
// has seen any number of other sessions meanwhile, still cannot undo a logout or an ended session.

const userOf = (session: SessionData & { readonly [key: string]: unknown }) => session.user as string | undefined;
const cookie = () => ({ originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000).toISOString() });

describe('saves decided by the session itself, over real memcached', () => {
  let memcached: MemcachedServer;
  before(async () => {
    memcached = await MemcachedServer.start();
  });
  after(() => memcached.stop());

  /** A store of its own "process": own connections, own memory. */
  function store(t: TestContext, withUsers = true): { store: MemcachedStore; lines: string[] } {
    const cache = new Cache({ backend: new MemcachedBackend({ servers: memcached.address }), logger: { warn() {} } });
    t.after(() => cache.close());
    const { logger, lines } = captureLogger();
    return { store: new MemcachedStore({ cache }, { logger, ...(withUsers ? { userOf } : {}) }), lines };
  }

  it('a session read before a logout and saved after it, by a store that never saw it, stays logged out', async (t) => {
    const a = store(t);
    const b = store(t);
    await a.store.setSession('alice-1', { cookie: cookie(), user: 'alice' } as SessionData);
    const held = (await a.store.getSession('alice-1'))!;
    assert.ok(held !== null);
    await a.store.destroySession('alice-1');
    (held as Record<string, unknown>).cart = ['stolen'];
    await b.store.setSession('alice-1', held);
    assert.equal(await a.store.getSession('alice-1'), null);
    assert.equal(b.store.stats().refusedSaves, 1);
    assert.match(b.lines.join('\n'), /deleted while a request held it/);
  });

  it('a session read before endSessionsOf and saved after it, by another store, stays ended', async (t) => {
    const a = store(t);
    const b = store(t);
    await a.store.setSession('bob-1', { cookie: cookie(), user: 'bob' } as SessionData);
    const held = (await a.store.getSession('bob-1'))!;
    await b.store.endSessionsOf('bob');
    (held as Record<string, unknown>).n = 1;
    await b.store.setSession('bob-1', held);
    assert.equal(await a.store.getSession('bob-1'), null, 'written back with the stamp it was read with, so still ended');
    assert.equal(await b.store.getSession('bob-1'), null);
  });

  it('a new session (never read) is never written over a session already stored under its id', async (t) => {
    const a = store(t);
    await a.store.setSession('carol-1', { cookie: cookie(), user: 'carol' } as SessionData);
    await a.store.setSession('carol-1', { cookie: cookie(), user: 'mallory' } as SessionData);
    assert.equal(((await a.store.getSession('carol-1')) as Record<string, unknown>).user, 'carol');
    assert.equal(a.store.stats().refusedSaves, 1);
  });

  it('the stamp is never stored, changes nothing the app sees as a change, and a second save in one request writes again', async (t) => {
    const a = store(t, false);
    const session = { cookie: cookie(), user: 'dan' } as SessionData & Record<string, unknown>;
    await a.store.setSession('dan-1', session);
    assert.ok('larderRead' in session, 'a session the store wrote is marked as stored');
    session.step = 2;
    await a.store.setSession('dan-1', session);
    const read = (await a.store.getSession('dan-1')) as Record<string, unknown>;
    assert.equal(read.step, 2, 'the second save of the request was written');
    const raw = (await a.store.cache.get<string>('sess:dan-1'))!;
    assert.doesNotMatch(raw, /larderRead/, 'the stamp is not in the stored value');
    assert.equal(a.store.stats().refusedSaves, 0);
  });

  it('a stamp the app changed is refused, not trusted', async (t) => {
    const a = store(t);
    await a.store.setSession('erin-1', { cookie: cookie(), user: 'erin' } as SessionData);
    const held = (await a.store.getSession('erin-1')) as Record<string, unknown>;
    held.larderRead = { t: ['x'], s: [[1, 2]] };
    held.n = 1;
    await a.store.setSession('erin-1', held as unknown as SessionData);
    assert.equal(((await a.store.getSession('erin-1')) as Record<string, unknown>).n, undefined);
    assert.equal(a.store.stats().refusedSaves, 1);
  });
});
