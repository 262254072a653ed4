import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MemcachedServer, msUntil as pollUntil, WorkerProcess } from '@larder/testing';

const WORKER = fileURLToPath(new URL('./fixtures/tag-worker.ts', import.meta.url));
const CHECK_INTERVAL_MS = 400;
// What the bound allows past the check interval: the promise is "within checkInterval + 50 ms".
const SLACK_MS = 50;

interface Computed {
  value: string;
  ran: boolean;
}

/** A process with a Cache on memcached (fixtures/tag-worker.ts; near-cached when `checkIntervalMs` is given), answering commands over IPC. */
function startTagged(servers: string, checkIntervalMs?: number): Promise<WorkerProcess> {
  return WorkerProcess.start(WORKER, { TAG_SERVERS: servers, ...(checkIntervalMs === undefined ? {} : { TAG_NEAR_MS: String(checkIntervalMs) }) });
}

/** Polls `read` until it gives `expected` (for at most ten check intervals); the ms from `since`. */
function msUntil(since: number, read: () => Promise<unknown>, expected: unknown): Promise<number> {
  return pollUntil(since, read, expected, 10 * CHECK_INTERVAL_MS);
}

describe('tags across processes on real memcached', () => {
  let server: MemcachedServer;
  let a: WorkerProcess;
  let b: WorkerProcess;
  let near: WorkerProcess;
  before(async () => {
    server = await MemcachedServer.start();
    [a, b, near] = await Promise.all([startTagged(server.address), startTagged(server.address), startTagged(server.address, CHECK_INTERVAL_MS)]);
  });
  after(async () => {
    await Promise.all([a.stop(), b.stop(), near.stop()]);
    await server.stop();
  });

  it('B invalidates product:7: A (no near cache) misses every value carrying it at once, get, getOrSet and memoize alike; other tags survive', async () => {
    await a.ask('set', { key: 'p7', value: 'seven', tags: ['product:7'] });
    await a.ask('set', { key: 'p8', value: 'eight', tags: ['product:8'] });
    await a.ask('set', { key: 'both', value: 'seven and eight', tags: ['product:7', 'product:8'] });
    assert.deepEqual(await a.ask('getOrSet', { key: 'g7', value: 'computed 7', tags: ['product:7'] }), { value: 'computed 7', ran: true });
    assert.deepEqual(await a.ask('getOrSet', { key: 'g7', value: 'again', tags: ['product:7'] }), { value: 'computed 7', ran: false });
    const first7 = await a.ask<Computed>('memo', { arg: 7 });
    assert.equal(first7.ran, true);
    assert.equal((await a.ask<Computed>('memo', { arg: 8 })).ran, true);
    assert.deepEqual(await a.ask('memo', { arg: 7 }), { value: first7.value, ran: false });
    assert.equal(await a.ask('get', { key: 'p7' }), 'seven');
    assert.equal(await b.ask('get', { key: 'both' }), 'seven and eight', 'B reads A’s tagged values too');
    assert.deepEqual(await a.ask('decoded', { key: 'p7' }), { value: 'decoded seven', stale: false });

    assert.equal(await b.ask('invalidate', { tags: ['product:7'] }), true);
    assert.equal(await a.ask('get', { key: 'p7' }), null);
    assert.equal(await a.ask('get', { key: 'both' }), null, 'a value with two tags goes when either is invalidated');
    assert.equal(await a.ask('decoded', { key: 'p7' }), null);
    assert.equal(await a.ask('get', { key: 'p8' }), 'eight');
    assert.deepEqual(await a.ask('decoded', { key: 'p8' }), { value: 'decoded eight', stale: false });
    assert.deepEqual(await a.ask('getOrSet', { key: 'g7', value: 'recomputed 7', tags: ['product:7'] }), { value: 'recomputed 7', ran: true });
    const second7 = await a.ask<Computed>('memo', { arg: 7 });
    assert.equal(second7.ran, true);
    assert.notEqual(second7.value, first7.value);
    assert.equal((await a.ask<Computed>('memo', { arg: 8 })).ran, false, 'product:8 was not invalidated');

    assert.equal(await b.ask('invalidate', { tags: ['product:8'] }), true);
    assert.equal(await a.ask('get', { key: 'p8' }), null);
  });

  it('with a near cache: the invalidation shows within checkInterval + 50 ms, on get and on the peekDecoded fast path; other tags survive', async () => {
    await near.ask('set', { key: 'n7', value: 'seven', tags: ['near:7'] });
    await near.ask('set', { key: 'n8', value: 'eight', tags: ['near:8'] });
    assert.equal(await near.ask('get', { key: 'n7' }), 'seven');
    assert.equal(await near.ask('get', { key: 'n8' }), 'eight');
    assert.deepEqual(await near.ask('decoded', { key: 'n7' }), { value: 'decoded seven', stale: false });
    assert.equal(await near.ask('peek', { key: 'n7' }), 'decoded seven', 'a near hit, answered without a promise');
    assert.equal(await b.ask('invalidate', { tags: ['near:7'] }), true);
    const since = performance.now();
    const msGet = await msUntil(since, () => near.ask('get', { key: 'n7' }), null);
    const msPeek = await msUntil(since, () => near.ask('peek', { key: 'n7' }), null);
    assert.ok(Math.max(msGet, msPeek) <= CHECK_INTERVAL_MS + SLACK_MS, `seen after ${msGet.toFixed(0)} / ${msPeek.toFixed(0)} ms`);
    assert.equal(await near.ask('get', { key: 'n8' }), 'eight');
    assert.equal(await near.ask('peek', { key: 'n8' }), null, 'not decoded through the memo yet');
    assert.deepEqual(await near.ask('decoded', { key: 'n8' }), { value: 'decoded eight', stale: false });
  });

  it('with a near cache: this process’s own invalidateTags drops its entries carrying the tag at once', async () => {
    await near.ask('set', { key: 'own', value: 'mine', tags: ['own:1'] });
    assert.equal(await near.ask('get', { key: 'own' }), 'mine');
    assert.deepEqual(await near.ask('decoded', { key: 'own' }), { value: 'decoded mine', stale: false });
    assert.equal(await near.ask('peek', { key: 'own' }), 'decoded mine');
    assert.equal(await near.ask('invalidate', { tags: ['own:1'] }), true);
    assert.equal(await near.ask('peek', { key: 'own' }), null);
    assert.equal(await near.ask('get', { key: 'own' }), null);
    assert.equal(await a.ask('get', { key: 'own' }), null);
  });
});
