import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache, MemoryBackend } from '@larder/core';

/** Core's bound on background refreshes a process runs at once (an internal of its engine). */
const MAX_BACKGROUND_REFRESHES = 64;
import Fastify, { type FastifyInstance } from 'fastify';
import type { TestContext } from 'node:test';
import larder from '../src/index.js';
import { quiet } from './build-app.js';
import { get, listen } from './http-client.js';

/** A Fastify app with Larder on a fresh memory-backed Cache, both closed after the test. */
async function appOnMemory(t: TestContext): Promise<{ app: FastifyInstance; cache: Cache }> {
  const cache = new Cache({ backend: new MemoryBackend(), logger: quiet });
  const app = Fastify();
  t.after(async () => {
    await app.close();
    await cache.close();
  });
  await app.register(larder, { cache });
  return { app, cache };
}

describe('view cache grace on one process (memory backend)', () => {
  it('a page past its ttl is answered STALE at once while one refresh runs; then HIT with the new page', async (t) => {
    const { app, cache } = await appOnMemory(t);
    let calls = 0;
    let seenRefreshHeader = false;
    app.get('/page', { config: { cache: { ttl: 1, grace: 60 } } }, async (request) => {
      calls++;
      if (request.headers['x-larder-refresh'] !== undefined) seenRefreshHeader = true;
      return `page #${calls}`;
    });
    const first = await app.inject('/page');
    assert.equal(first.body, 'page #1');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const stale = await Promise.all(Array.from({ length: 20 }, () => app.inject('/page')));
    assert.ok(stale.every((response) => response.headers['x-cache'] === 'STALE' && response.body === 'page #1'));
    let next = stale[0]!;
    while (next.headers['x-cache'] !== 'HIT') next = await app.inject('/page');
    assert.equal(next.body, 'page #2');
    assert.equal(calls, 2, 'one refresh');
    assert.equal(seenRefreshHeader, false, 'the handler never sees the refresh header');
    assert.equal(cache.stats().stale >= 20, true);
  });

  it('a client cannot force a refresh: a forged x-larder-refresh header is dropped and the page is a HIT', async (t) => {
    const { app, cache } = await appOnMemory(t);
    let calls = 0;
    app.get('/page', { config: { cache: { ttl: 60, grace: 60 } } }, async () => `page #${++calls}`);
    await app.inject('/page');
    const forged = await app.inject({ url: '/page', headers: { 'x-larder-refresh': 'guess.0' } });
    assert.equal(forged.headers['x-cache'], 'HIT');
    assert.equal(calls, 1);
  });

  it('a cold request reads its key once, a hit once (the hit path and the miss path share one read)', async (t) => {
    const { app, cache } = await appOnMemory(t);
    app.get('/once', { config: { cache: { ttl: 60 } } }, async () => 'page');
    await app.inject('/once');
    assert.deepEqual([cache.stats().misses, cache.stats().hits], [1, 0]);
    await app.inject('/once');
    assert.deepEqual([cache.stats().misses, cache.stats().hits], [1, 1]);
  });

  it(`stale pages of many routes are all answered, but at most ${MAX_BACKGROUND_REFRESHES} refreshes run at once`, async (t) => {
    const { app } = await appOnMemory(t);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let filling = true;
    let refreshes = 0;
    app.get('/p/:id', { config: { cache: { ttl: 1, grace: 60 } } }, async () => {
      if (!filling) {
        refreshes++;
        await held;
      }
      return 'page';
    });
    const ids = Array.from({ length: MAX_BACKGROUND_REFRESHES + 16 }, (_, i) => i);
    await Promise.all(ids.map((id) => app.inject(`/p/${id}`)));
    filling = false;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const stale = await Promise.all(ids.map((id) => app.inject(`/p/${id}`)));
    assert.ok(stale.every((response) => response.headers['x-cache'] === 'STALE'));
    // The refreshes are requests through the app: let those that started reach the handler.
    while (refreshes < MAX_BACKGROUND_REFRESHES) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(refreshes, MAX_BACKGROUND_REFRESHES);
    release();
  });

  it('a failing origin: after a failed refresh, stale requests of the page run no refresh for 1 s, then 2 s; a refresh that works ends it (real HTTP)', async (t) => {
    const { app, cache } = await appOnMemory(t);
    let calls = 0;
    let failing = false;
    app.get('/flaky', { config: { cache: { ttl: 1, grace: 60 } } }, async () => {
      calls++;
      if (failing) throw new Error('origin down');
      return `page #${calls}`;
    });
    const base = await listen(app);
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const failedRefreshes = async (count: number) => {
      while (calls < count) await sleep(5);
      // The refresh's failure is recorded just after its request ends.
      await sleep(50);
    };
    assert.equal((await get(base, '/flaky')).text, 'page #1');
    await sleep(1100);
    failing = true;
    const stale = await get(base, '/flaky');
    assert.deepEqual([stale.status, stale.headers['x-cache'], stale.text], [200, 'STALE', 'page #1']);
    await failedRefreshes(2);
    const failedAt = Date.now();
    // Within the first pause: every request gets the stale page, none runs the handler.
    for (let i = 0; i < 10; i++) {
      const response = await get(base, '/flaky');
      assert.deepEqual([response.status, response.headers['x-cache'], response.text], [200, 'STALE', 'page #1']);
    }
    assert.equal(calls, 2, 'no refresh within 1 s of the failed one');
    await sleep(failedAt + 1050 - Date.now());
    await get(base, '/flaky');
    await failedRefreshes(3);
    await get(base, '/flaky');
    await sleep(1100);
    await get(base, '/flaky');
    await sleep(100);
    assert.equal(calls, 3, 'the second pause is 2 s');
    failing = false;
    await sleep(1000);
    await get(base, '/flaky');
    let next = await get(base, '/flaky');
    while (next.headers['x-cache'] !== 'HIT') next = await get(base, '/flaky');
    assert.deepEqual([next.text, calls], ['page #4', 4]);
    assert.ok(cache.stats().stale >= 14);
  });

  for (const [setting, value] of [
    ['grace', 'soon'],
    ['lock', 'yes'],
    ['staleIfError', 1],
    ['lock', { timeout: 0.5 }],
  ] as const) {
    it(`config.cache.${setting} = ${JSON.stringify(value)} is an E_INVALID_OPTION at registration, naming the route`, async () => {
      const app = Fastify();
      await app.register(larder, { cache: new Cache({ logger: quiet }) });
      assert.throws(
        () => app.get('/x', { config: { cache: { [setting]: value } as never } }, async () => 'x'),
        (error: Error & { code?: string }) => error.code === 'E_INVALID_OPTION' && error.message.includes(`config.cache.${setting}`) && error.message.includes('GET /x'),
      );
      await app.close();
    });
  }
});
