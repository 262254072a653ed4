import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Cache, ConnectionError, MemcachedBackend, MemoryBackend, type CacheErrorEvent, type StoredItem } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import { MemcachedStore, type SessionData } from '../src/index.js';
import { captureLogger, randomSessionId } from './helpers.js';

const session = (user = 'ada'): SessionData => ({ cookie: { maxAge: 3_600_000 }, user } as SessionData);

/**
 * A store and the cache under it, both logging into one `lines` array (as an app that gives both
 * its logger does), with the cache's error events kept.
 */
function storeOn(backend: MemcachedBackend | MemoryBackend) {
  const { logger, lines } = captureLogger();
  const cache = new Cache({ backend, logger });
  const events: CacheErrorEvent[] = [];
  cache.on('error', (event) => events.push(event));
  const store = new MemcachedStore({ cache }, { logger });
  return { cache, store, lines, events };
}

/** storeOn a memcached of the test's own (for the test to stop), the server, store and cache closed after the test. */
async function storeOnOwnMemcached(t: TestContext, options: { failureLimit?: number } = {}) {
  const server = await MemcachedServer.start();
  t.after(() => server.stop());
  const opened = storeOn(new MemcachedBackend({ servers: server.address, timeout: 300, ...options }));
  t.after(() => opened.store.close());
  t.after(() => opened.cache.close());
  return { server, ...opened };
}

/**
 * A memory backend answering reads asynchronously, whose first read fails: two reads of one key
 * are then in flight together, one failing and one not (fault injection).
 */
class FirstReadFails extends MemoryBackend {
  #reads = 0;
  constructor() {
    super();
    // Hide the synchronous path, so the Cache awaits get() as it does with memcached.
    Object.defineProperty(this, 'getSync', { value: undefined });
  }
  override async get(key: string): Promise<StoredItem | undefined> {
    const failing = this.#reads++ === 0;
    await new Promise((resolve) => setImmediate(resolve));
    if (failing) throw new ConnectionError('10.0.0.1:11211', 'connection reset');
    return MemoryBackend.prototype.getSync.call(this, key);
  }
}

describe('each failure is logged once and counted once', () => {
  it('a read on a stopped memcached: E_SESSION_READ (503), one log line (the store’s, id redacted), one counted error', async (t) => {
    const { server, cache, store, lines, events } = await storeOnOwnMemcached(t);
    const id = randomSessionId();
    await store.setSession(id, session());
    await server.stop();

    await assert.rejects(store.getSession(id), { code: 'E_SESSION_READ', statusCode: 503 });
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /^larder-session: could not read session sess:.{6}… \(memcached 127\.0\.0\.1:\d+: .*\); the request fails rather than run as nobody$/);
    assert.ok(!lines[0]!.includes(id));
    assert.equal(cache.stats().errors, 1, 'the cache counts it once');
    assert.equal(events.length, 1, 'the cache emits it once');
    assert.equal(store.stats().readFailures, 1, 'the store counts it once');
  });

  it('two concurrent reads of one session on a stopped memcached each get their own failure', async (t) => {
    const { server, cache, store, lines, events } = await storeOnOwnMemcached(t, { failureLimit: 5 });
    const id = randomSessionId();
    await store.setSession(id, session());
    server.pause();
    t.after(() => server.resume());

    const reads = await Promise.allSettled([store.getSession(id), store.getSession(id)]);
    assert.deepEqual(reads.map((read) => read.status === 'rejected' && (read.reason as { code?: string }).code), ['E_SESSION_READ', 'E_SESSION_READ']);
    assert.equal(events.length, 2, 'two failures');
    assert.notEqual(events[0]!.error, events[1]!.error);
    assert.equal(cache.stats().errors, 2);
    assert.equal(store.stats().readFailures, 2);
    // One line for the burst, by the store; the cache's own line is for its ignore-errors wrappers.
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /^larder-session: could not read session/);
  });

  it('a failed read is not also charged to a concurrent read of the same session that succeeded (the old double counting)', async () => {
    const { cache, store, lines } = storeOn(new FirstReadFails());
    const id = randomSessionId();
    await store.setSession(id, session('ada'));
    const [first, second] = await Promise.allSettled([store.getSession(id), store.getSession(id)]);
    assert.equal(first.status === 'rejected' && (first.reason as { code?: string }).code, 'E_SESSION_READ', 'the failed read fails');
    assert.equal(second.status === 'fulfilled' && second.value?.user, 'ada', 'the read that succeeded gets its session');
    assert.equal(store.stats().readFailures, 1);
    assert.equal(cache.stats().errors, 1);
    assert.equal(lines.length, 1, lines.join('\n'));
  });

  it('a failed write, delete and touch: one log line each kind, one count each, by the store', async (t) => {
    const { server, cache, store, lines, events } = await storeOnOwnMemcached(t);
    const id = randomSessionId();
    await server.stop();

    await assert.rejects(store.setSession(id, session()), { code: 'E_SESSION_WRITE' });
    await assert.rejects(store.destroySession(id), { code: 'E_SESSION_DESTROY' });
    assert.equal(await store.touchSession(id, session()), false);
    assert.equal(events.length, 3);
    assert.equal(cache.stats().errors, 3);
    assert.deepEqual(store.stats(), { reads: 0, writes: 0, badSessions: 0, rejectedSessions: 0, readFailures: 0, writeFailures: 2, touchFailures: 1, refusedSaves: 0 });
    // Writes and deletes share one burst log; touch has its own.
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0]!, /^larder-session: could not store session sess:.{6}… in memcached\(127\.0\.0\.1:\d+\): /);
    assert.match(lines[1]!, /^larder-session: could not extend session sess:.{6}… \(.*\); it keeps its current TTL$/);
  });

  it('a value the cache cannot decode under a session key is a bad session: counted once by each, logged once', async () => {
    const { cache, store, lines, events } = storeOn(new MemoryBackend());
    const id = randomSessionId();
    await cache.backend.set(cache.backendKey(`sess:${id}`), { value: Buffer.from([0x80, 0x04, 0x2e]), flags: 1 }, 60);
    assert.equal(await store.getSession(id), null);
    assert.equal(store.stats().badSessions, 1);
    assert.equal(store.stats().readFailures, 0);
    assert.equal(cache.stats().errors, 1);
    assert.equal(events.length, 1);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /^larder-session: the value under sess:.{6}… is not a session \(a value the cache cannot decode\)/);
  });
});
