import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MemcachedServer, msUntil as pollUntil, WorkerProcess } from '@larder/testing';
import type { CacheStats } from '../src/index.js';

const WORKER = fileURLToPath(new URL('./fixtures/near-worker.ts', import.meta.url));
const NEAR_TTL_MS = 400;
// What the bound allows past the near ttl: the promise is "within ttl + 50 ms".
const SLACK_MS = 50;

/** A process with a near-cached Cache (fixtures/near-worker.ts) on `servers`, answering commands over IPC. */
function startNear(servers: string): Promise<WorkerProcess> {
  return WorkerProcess.start(WORKER, { NEAR_SERVERS: servers, NEAR_TTL_MS: String(NEAR_TTL_MS) });
}

/** Polls `read` until it gives `expected` (for at most ten near ttls); the ms from `since`. */
function msUntil(since: number, read: () => Promise<unknown>, expected: unknown): Promise<number> {
  return pollUntil(since, read, expected, 10 * NEAR_TTL_MS);
}

describe('near cache across two processes on real memcached', () => {
  let server: MemcachedServer;
  let a: WorkerProcess;
  let b: WorkerProcess;
  before(async () => {
    server = await MemcachedServer.start();
    [a, b] = await Promise.all([startNear(server.address), startNear(server.address)]);
  });
  after(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await server.stop();
  });

  it('A sets, B (holding the old value near) sees it within ttl + 50 ms', async () => {
    await a.ask('set', { key: 'k1', value: 'old' });
    assert.equal(await b.ask('get', { key: 'k1' }), 'old');
    await a.ask('set', { key: 'k1', value: 'new' });
    const since = performance.now();
    assert.equal(await b.ask('get', { key: 'k1' }), 'old', 'B serves its near copy: bounded staleness, not none');
    const ms = await msUntil(since, () => b.ask('get', { key: 'k1' }), 'new');
    assert.ok(ms <= NEAR_TTL_MS + SLACK_MS, `seen after ${ms.toFixed(0)} ms`);
    assert.equal(await a.ask('get', { key: 'k1' }), 'new', 'A sees its own write at once');
    assert.ok((await b.ask<CacheStats>('stats')).nearHits >= 1);
  });

  it('A deletes, B sees the miss within ttl + 50 ms', async () => {
    await a.ask('set', { key: 'k2', value: 'here' });
    assert.equal(await b.ask('get', { key: 'k2' }), 'here');
    await a.ask('delete', { key: 'k2' });
    const since = performance.now();
    assert.equal(await a.ask('get', { key: 'k2' }), null);
    const ms = await msUntil(since, () => b.ask('get', { key: 'k2' }), null);
    assert.ok(ms <= NEAR_TTL_MS + SLACK_MS, `seen after ${ms.toFixed(0)} ms`);
  });

  it('A clears a namespace, B sees every value of it gone within checkInterval (= ttl) + 50 ms', async () => {
    await a.ask('ns-set', { ns: 'products', key: '7', value: 'seven' });
    await a.ask('ns-set', { ns: 'products', key: '8', value: 'eight' });
    assert.equal(await b.ask('ns-get', { ns: 'products', key: '7' }), 'seven');
    assert.equal(await b.ask('ns-get', { ns: 'products', key: '8' }), 'eight');
    assert.equal(await b.ask('ns-get', { ns: 'products', key: '7' }), 'seven');
    await a.ask('ns-clear', { ns: 'products' });
    const since = performance.now();
    assert.equal(await a.ask('ns-get', { ns: 'products', key: '7' }), null, 'A sees its own clear at once');
    const ms7 = await msUntil(since, () => b.ask('ns-get', { ns: 'products', key: '7' }), null);
    const ms8 = await msUntil(since, () => b.ask('ns-get', { ns: 'products', key: '8' }), null);
    assert.ok(Math.max(ms7, ms8) <= NEAR_TTL_MS + SLACK_MS, `seen after ${ms7.toFixed(0)} / ${ms8.toFixed(0)} ms`);
  });
});
