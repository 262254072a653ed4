import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache } from '@larder/core';
import { MemcachedStore } from '../src/index.js';
import { encodeSessionParts, storedFingerprint } from '../src/session-codec.js';
import { READ_MARK_LIMIT, READ_MARK_MAX_AGE_MS, ReadMarks } from '../src/read-marks.js';
import { readLifetime, sealedUntil, touchFitsSeal } from '../src/session-ttl.js';
import type { SessionData, StoredSession } from '../src/types.js';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');

/** A Cookie as @fastify/session's: `expires` moves on every request, toJSON gives plain data. */
class RollingCookie {
  constructor(
    readonly originalMaxAge: number,
    readonly expires: Date,
    readonly originalExpires?: Date,
  ) {}
  toJSON() {
    return { expires: this.expires, originalMaxAge: this.originalMaxAge, originalExpires: this.originalExpires, sameSite: 'lax', secure: false, path: '/', httpOnly: true, domain: null, partitioned: undefined };
  }
}

/** The fingerprint a read of what `session` stored gives. */
function readBack(session: SessionData): string {
  const json = encodeSessionParts(session).json();
  return storedFingerprint(json, JSON.parse(json) as StoredSession);
}

describe('unchanged-session fingerprints', () => {
  const first = { cookie: new RollingCookie(60_000, new Date(NOW + 60_000)), user: 'ada', cart: { items: [1, 2] } };

  it('a session read back and saved again with only its expiry moved has the fingerprint of the read', () => {
    const restored = { cookie: new RollingCookie(60_000, new Date(NOW + 90_000), new Date(NOW + 60_000)), user: 'ada', cart: { items: [1, 2] } };
    assert.equal(encodeSessionParts(restored).fingerprint, readBack(first));
  });

  it('any change of the data, however deep, or of a cookie setting, changes it', () => {
    const base = readBack(first);
    const changed: SessionData[] = [
      { ...first, user: 'grace' } as SessionData,
      { ...first, cart: { items: [1, 2, 3] } } as SessionData,
      { ...first, extra: null } as SessionData,
      { cookie: new RollingCookie(120_000, new Date(NOW + 60_000)), user: 'ada', cart: { items: [1, 2] } } as SessionData,
      { cookie: { ...first.cookie.toJSON(), path: '/admin' }, user: 'ada', cart: { items: [1, 2] } } as SessionData,
    ];
    for (const session of changed) assert.notEqual(encodeSessionParts(session).fingerprint, base, JSON.stringify(session));
  });

  it('reading back text laid out differently (cookie not first, as an older writer may have left it) still gives the same fingerprint', () => {
    const json = '{"user":"ada","cookie":{"originalMaxAge":60000,"expires":"2030-01-01T00:01:00.000Z","sameSite":"lax","secure":false,"path":"/","httpOnly":true,"domain":null},"cart":{"items":[1,2]}}';
    assert.equal(storedFingerprint(json, JSON.parse(json) as StoredSession), readBack(first));
  });

  it('express-session’s originalMaxAge a millisecond short (it recomputes it from the clock) is no change; a new maxAge is', () => {
    const stored = { cookie: { originalMaxAge: 3_600_000, expires: new Date(NOW).toISOString(), httpOnly: true, path: '/' }, user: 'ada' } as SessionData;
    const jittered = { cookie: { originalMaxAge: 3_599_999, expires: new Date(NOW + 5000), httpOnly: true, path: '/' }, user: 'ada' } as SessionData;
    const rememberMe = { cookie: { originalMaxAge: 30 * 86_400_000, expires: new Date(NOW + 5000), httpOnly: true, path: '/' }, user: 'ada' } as SessionData;
    assert.equal(encodeSessionParts(jittered).fingerprint, readBack(stored));
    assert.notEqual(encodeSessionParts(rememberMe).fingerprint, readBack(stored));
  });

  it('the JSON text is made only on demand and is what encodeSession always wrote', () => {
    assert.equal(encodeSessionParts({ cookie: { path: '/' } } as SessionData).json(), '{"cookie":{"path":"/"}}');
    assert.equal(encodeSessionParts({ cookie: { path: '/' }, n: 1 } as SessionData).json(), '{"cookie":{"path":"/"},"n":1}');
  });
});

describe('ReadMarks', () => {
  const mark = (fingerprint: string) => ({ fingerprint, sealedUntil: 0, retiredSecret: false });

  it('a save takes a read of its id with its fingerprint, once per read: concurrent requests on one session each find theirs', () => {
    const marks = new ReadMarks();
    marks.add('a', mark('v1'), NOW);
    marks.add('a', mark('v1'), NOW);
    assert.ok(marks.take('a', 'v1', NOW));
    assert.ok(marks.take('a', 'v1', NOW));
    assert.equal(marks.take('a', 'v1', NOW), undefined);
    assert.equal(marks.size, 0);
  });

  it('never vouches for another id, another version, or a read over a minute old', () => {
    const marks = new ReadMarks();
    marks.add('a', mark('v1'), NOW);
    assert.equal(marks.take('b', 'v1', NOW), undefined);
    assert.equal(marks.take('a', 'v2', NOW), undefined);
    assert.equal(marks.take('a', 'v1', NOW + READ_MARK_MAX_AGE_MS + 1), undefined);
  });

  it('only the latest version read vouches: a request that changed the session back to an older version is a write', () => {
    const marks = new ReadMarks();
    marks.add('a', mark('v1'), NOW); // a request that will not save (rolling: false, an error)
    marks.add('a', mark('v2'), NOW); // another process wrote v2; a request read it and changes it back to v1
    assert.equal(marks.take('a', 'v1', NOW), undefined);
    assert.ok(marks.take('a', 'v2', NOW));
  });

  it('a write of a changed session forgets the reads of the version it replaced', () => {
    const marks = new ReadMarks();
    marks.add('a', mark('v1'), NOW);
    marks.add('a', mark('v1'), NOW);
    marks.forget('a');
    assert.equal(marks.take('a', 'v1', NOW), undefined);
  });

  it(`is bounded: ${READ_MARK_LIMIT} ids, the oldest forgotten first`, () => {
    const marks = new ReadMarks(3);
    for (const id of ['a', 'b', 'c', 'd']) marks.add(id, mark('v'), NOW);
    assert.equal(marks.size, 3);
    assert.equal(marks.take('a', 'v', NOW), undefined);
    assert.ok(marks.take('d', 'v', NOW));
  });
});

describe('lifetimes of rolling and sealed sessions', () => {
  it('a rolling cookie (originalMaxAge) whose stored expiry passed is alive ("rolled": it was touched since); another one is expired', () => {
    const past = new Date(NOW - 1000).toISOString();
    assert.equal(readLifetime({ expires: past, originalMaxAge: 60_000 }, NOW), 'rolled');
    assert.equal(readLifetime({ expires: new Date(NOW + 1000).toISOString(), originalMaxAge: 60_000 }, NOW), 'alive');
    assert.equal(readLifetime({ expires: past, originalMaxAge: null }, NOW), 'expired');
    assert.equal(readLifetime({ expires: past }, NOW), 'expired');
    assert.equal(readLifetime({ expires: null, originalMaxAge: null }, NOW), 'alive');
  });

  it('a seal is valid for its lifetime and half as much again; touches fit within it, 0 is no limit', () => {
    const until = sealedUntil(3600, NOW);
    assert.equal(until, NOW / 1000 + 5400);
    assert.equal(touchFitsSeal(until, 3600, NOW + 1800 * 1000), true);
    assert.equal(touchFitsSeal(until, 3600, NOW + 1801 * 1000), false);
    assert.equal(sealedUntil(0, NOW), 0);
    assert.equal(touchFitsSeal(0, 3600, NOW), true);
  });
});

describe('unchanged sessions across requests and processes (two stores on one cache)', () => {
  const quiet = { warn: () => {} };
  const session = (user: string) => ({ cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000), path: '/' }, user }) as SessionData;

  it('a request that changes a session back to a version read earlier (by a request that never saved) is written, not touched', async () => {
    const cache = new Cache({ logger: quiet });
    const here = new MemcachedStore({ cache }, { logger: quiet });
    const there = new MemcachedStore({ cache }, { logger: quiet });
    const id = 'session-changed-back-0123456789ab';
    await here.setSession(id, session('v1'));
    await here.getSession(id); // a request that read v1 and will not save
    await there.setSession(id, { ...(await there.getSession(id))!, user: 'v2' } as SessionData); // another process changes it
    const v2 = await here.getSession(id);
    assert.equal(v2?.user, 'v2');
    await here.setSession(id, { ...v2!, user: 'v1' } as SessionData); // this request changed v2 back to v1
    assert.equal((await there.getSession(id))?.user, 'v1');
  });

  it('a request that read the session, left it unchanged, and saves it after another process changed it keeps that change (a touch)', async () => {
    const cache = new Cache({ logger: quiet });
    const here = new MemcachedStore({ cache }, { logger: quiet });
    const there = new MemcachedStore({ cache }, { logger: quiet });
    const id = 'session-kept-change-0123456789abc';
    await here.setSession(id, session('v1'));
    const read = await here.getSession(id);
    await there.setSession(id, { ...(await there.getSession(id))!, user: 'v2' } as SessionData);
    await here.setSession(id, { ...read!, cookie: { ...read!.cookie, expires: new Date(Date.now() + 60_000) } });
    assert.equal((await there.getSession(id))?.user, 'v2');
  });
});
