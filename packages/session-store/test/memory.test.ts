import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache, MemoryBackend, type StoredItem } from '@larder/core';
import { MemcachedStore } from '../src/index.js';
import { randomSessionId } from './helpers.js';
import { sessionStoreConformance } from './store-conformance.js';

const quiet = { warn: () => {} };

/** A MemoryBackend that remembers the TTL of the last write or touch of each key. */
class TtlRecordingBackend extends MemoryBackend {
  readonly ttls = new Map<string, number>();

  override setSync(key: string, item: StoredItem, ttl: number): boolean {
    this.ttls.set(key, ttl);
    return super.setSync(key, item, ttl);
  }

  // The store writes sessions with add (new) and replace (read before), which do not go through setSync.
  override async add(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    const stored = await super.add(key, item, ttl);
    if (stored) this.ttls.set(key, ttl);
    return stored;
  }

  override async replace(key: string, item: StoredItem, ttl: number): Promise<boolean> {
    const stored = await super.replace(key, item, ttl);
    if (stored) this.ttls.set(key, ttl);
    return stored;
  }

  override async touch(key: string, ttl: number): Promise<boolean> {
    const found = await super.touch(key, ttl);
    if (found) this.ttls.set(key, ttl);
    return found;
  }
}

const SEALING_SECRET = 'the conformance suite sealing secret, 32+ characters';

for (const secret of [undefined, SEALING_SECRET]) {
  sessionStoreConformance(secret ? 'Cache on MemoryBackend, sealed sessions' : 'Cache on MemoryBackend', async () => {
    const backend = new TtlRecordingBackend();
    const cache = new Cache({ backend, logger: quiet });
    return {
      cache,
      ...(secret ? { secret } : {}),
      newStore: (options = {}) => new MemcachedStore({ cache }, { ...(secret ? { secret } : {}), ...options }),
      expectTtl: async (key, seconds) => {
        const full = cache.backendKey(key);
        assert.ok(await backend.get(full), `${key} is stored`);
        const ttl = backend.ttls.get(full);
        assert.ok(ttl !== undefined && Math.abs(ttl - seconds) <= 2, `TTL of ${key}: asked ${ttl}, expected about ${seconds}`);
      },
      dispose: () => cache.close(),
    };
  });
}

describe('MemcachedStore on a MemoryBackend with a hand-moved clock', () => {
  const setup = () => {
    let now = 1_000_000;
    const cache = new Cache({ backend: new MemoryBackend({ now: () => now }), logger: quiet });
    const store = new MemcachedStore({ cache }, { logger: quiet, ttl: '1h' });
    return { cache, store, advance: (seconds: number) => (now += seconds * 1000) };
  };

  it('a session lives as long as its cookie: present just before, gone just after', async () => {
    const { store, advance } = setup();
    const id = randomSessionId();
    await store.setSession(id, { cookie: { maxAge: 60 * 86_400_000 } });
    advance(60 * 86_400 - 5);
    assert.notEqual(await store.getSession(id), null);
    advance(10);
    assert.equal(await store.getSession(id), null);
  });

  it('a touched session outlives its first TTL; an untouched one does not', async () => {
    const { store, advance } = setup();
    const touched = randomSessionId();
    const untouched = randomSessionId();
    await store.setSession(touched, { cookie: { maxAge: 60_000 } });
    await store.setSession(untouched, { cookie: { maxAge: 60_000 } });
    advance(50);
    assert.equal(await store.touchSession(touched, { cookie: { maxAge: 60_000 } }), true);
    advance(50);
    assert.notEqual(await store.getSession(touched), null);
    assert.equal(await store.getSession(untouched), null);
  });

  it('a session without a cookie expiry lives the store ttl', async () => {
    const { store, advance } = setup();
    const id = randomSessionId();
    await store.setSession(id, { cookie: { expires: null } });
    advance(3595);
    assert.notEqual(await store.getSession(id), null);
    advance(10);
    assert.equal(await store.getSession(id), null);
  });
});
