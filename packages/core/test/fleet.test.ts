import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { MemcachedServer } from '@larder/testing';
import type { Cache } from '../src/index.js';
import { Fleet } from './fleet.js';
import { memcachedCaches } from './memcached-caches.js';
import { writeStale } from './stale-entry.js';

describe('fleet-safe recomputation: real processes on one real memcached', () => {
  const memcached = memcachedCaches('fleet');
  let server: MemcachedServer;
  let cache: Cache;
  before(() => {
    server = memcached.server();
    cache = memcached.open();
  });

  it('4 processes x 100 cold callers of one key, a 300 ms factory, lock on: the factory runs exactly once in the cluster', async (t) => {
    const fleet = await Fleet.start(4, server.address);
    t.after(() => fleet.stop());
    const runs = await Promise.all(fleet.workers.map((worker) => fleet.run(worker, { key: 'cold', callers: 100, factoryMs: 300, options: { ttl: 60, lock: { timeout: '5s' } } })));
    assert.equal(fleet.factoryStarts.length, 1, `factory runs: ${fleet.factoryStarts.length}`);
    const values = new Set(runs.flatMap((run) => run.results.map((result) => result.value ?? result.error)));
    assert.deepEqual([...values], [`computed by ${fleet.factoryStarts[0]}`], 'all 400 callers got the one computed value, none an error');
    assert.ok(runs.filter((run) => run.stats.lockWaits > 0).length >= 3, 'the other processes waited for the lock');
  });

  it('without the lock, the same herd runs the factory once per process (what the lock prevents)', async (t) => {
    const fleet = await Fleet.start(4, server.address);
    t.after(() => fleet.stop());
    await Promise.all(fleet.workers.map((worker) => fleet.run(worker, { key: 'cold-unlocked', callers: 100, factoryMs: 300, options: { ttl: 60 } })));
    assert.equal(fleet.factoryStarts.length, 4);
  });

  it('the lock holder killed -9 mid-compute: the others finish after lockTimeout with one more computation, nothing hangs', async (t) => {
    const fleet = await Fleet.start(4, server.address);
    t.after(() => fleet.stop());
    const [holder, ...others] = fleet.workers;
    const options = { ttl: 60, lock: { timeout: '2s' } } as const;
    void fleet.run(holder!, { key: 'orphaned', callers: 10, factoryMs: 'never', options }).catch(() => {});
    await fleet.factoriesStarted(1);
    const waiting = others.map((worker) => fleet.run(worker, { key: 'orphaned', callers: 100, factoryMs: 300, options }));
    const started = performance.now();
    const killed = new Promise((resolve) => holder!.once('exit', resolve));
    holder!.kill('SIGKILL');
    await killed;
    const runs = await Promise.all(waiting);
    const waitedMs = performance.now() - started;
    assert.equal(fleet.factoryStarts.length, 2, 'exactly one more computation after the holder died');
    const values = new Set(runs.flatMap((run) => run.results.map((result) => result.value ?? result.error)));
    assert.deepEqual([...values], [`computed by ${fleet.factoryStarts[1]}`]);
    t.diagnostic(`survivors answered ${Math.round(waitedMs)} ms after the kill (lock timeout 2 s, factory 300 ms)`);
  });

  it('after ttl, 200 callers over 2 processes all get the stale value while the one refresh is still running; the next read is fresh', async (t) => {
    const fleet = await Fleet.start(2, server.address);
    t.after(() => fleet.stop());
    await writeStale(cache, 'hot', 'old page', 60);
    const options = { ttl: 60, grace: '1h', lock: true } as const;
    // The refresh is gated: it cannot return until the test says so, so every answer below came without waiting for it.
    const runs = await Promise.all(fleet.workers.map((worker) => fleet.run(worker, { key: 'hot', callers: 100, factoryMs: 'gate', options })));
    const results = runs.flatMap((run) => run.results);
    assert.equal(results.length, 200);
    assert.ok(results.every((result) => result.value === 'old page'), 'every caller got the stale value');
    await fleet.factoriesStarted(1);
    assert.equal(fleet.factoryStarts.length, 1, 'one refresh in the cluster');
    // Counted per read, as hits are: the callers of one process share one read.
    assert.ok(runs.every((run) => run.stats.stale >= 1), 'stale serves counted in each process');
    const slowest = Math.max(...results.map((result) => result.ms));
    t.diagnostic(`slowest stale answer: ${slowest.toFixed(1)} ms (the refresh was held open throughout)`);
    const refreshed = waitForValue(cache, 'hot', `computed by ${fleet.factoryStarts[0]}`);
    fleet.release();
    await refreshed;
    const next = await fleet.run(fleet.workers[1]!, { key: 'hot', callers: 1, factoryMs: 0, options });
    assert.equal(next.results[0]!.value, `computed by ${fleet.factoryStarts[0]}`, 'the next read is the fresh value');
    assert.equal(fleet.factoryStarts.length, 1);
  });
});

async function waitForValue(cache: Cache, key: string, expected: string): Promise<void> {
  // The refresh writes from another process: the only way to see it is to read. Bounded, so a
  // wrong value fails the test instead of hanging it.
  const until = Date.now() + 20_000;
  let found: unknown;
  for (let pause = 5; (found = await cache.get(key)) !== expected; pause = Math.min(pause * 2, 100)) {
    if (Date.now() > until) assert.fail(`${key} holds ${JSON.stringify(found)}, not ${JSON.stringify(expected)}, after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
