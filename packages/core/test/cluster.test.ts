import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemcachedServer, startDelayProxy } from '@larder/testing';
import { Cache, MemcachedBackend, type NodeStateChange } from '../src/index.js';

const quiet = { warn() {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ownerOf(servers: MemcachedServer[], key: string): Promise<number> {
  for (const [i, server] of servers.entries()) {
    const single = new MemcachedBackend({ servers: server.address });
    const found = await single.get(key);
    await single.close();
    if (found) return i;
  }
  return -1;
}

describe('cluster failover with real nodes', () => {
  it('a node killed under load: no rejection reaches the caller, survivors keep hitting, it rejoins after deadTimeout', async (t) => {
    const servers = await Promise.all([MemcachedServer.start(), MemcachedServer.start(), MemcachedServer.start()]);
    t.after(() => Promise.all(servers.map((s) => s.stop())));
    const changes: NodeStateChange[] = [];
    const backend = new MemcachedBackend({
      servers: servers.map((s) => s.address),
      timeout: 300,
      connectTimeout: 500,
      deadTimeout: 1,
      onNodeChange: (change) => {
        changes.push(change);
        if (change.state === 'dead') markedDead();
      },
    });
    let markedDead!: () => void;
    const dead = new Promise<void>((resolve) => (markedDead = resolve));
    const cache = new Cache({ backend, logger: quiet });
    t.after(() => cache.close());

    const keys = Array.from({ length: 300 }, (_, i) => `item:${i}`);
    assert.deepEqual(await cache.setMany(keys.map((k) => [k, k] as const)), []);
    const owners = await Promise.all(keys.map((key) => ownerOf(servers, key)));
    const victim = 1;
    const survivorKeys = keys.filter((_, i) => owners[i] !== victim);

    let rejections = 0;
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        const key = keys[i % keys.length]!;
        await Promise.all([cache.get(key), cache.set(`load:${i % 50}`, i)]).catch(() => rejections++);
      }
    })();
    await sleep(100);
    await servers[victim]!.kill();
    // The load meets the dead node and takes it out: wait for that, not for a guessed time.
    await Promise.race([dead, sleep(10_000).then(() => Promise.reject(new Error('the killed node was never taken out')))]);
    const found = await cache.getMany(survivorKeys);
    stop = true;
    await load;

    assert.equal(rejections, 0, 'no rejected promise reaches the caller');
    assert.equal(Object.keys(found).length, survivorKeys.length, 'every key on a surviving node still hits');
    assert.deepEqual(changes.map((c) => [c.server, c.state]), [[servers[victim]!.address, 'dead']]);

    await servers[victim]!.restart();
    await sleep(1100);
    const victimKey = keys.find((_, i) => owners[i] === victim)!;
    assert.equal(await cache.set(victimKey, 'back'), true);
    assert.equal(await ownerOf(servers, victimKey), victim, 'the restarted node takes its keys again');
    assert.deepEqual(changes.at(-1), { server: servers[victim]!.address, state: 'alive' });
  });

  it('with every node dead, reads miss and writes fail at once after the first failure', async (t) => {
    const servers = await Promise.all([MemcachedServer.start(), MemcachedServer.start()]);
    const cache = new Cache({ backend: new MemcachedBackend({ servers: servers.map((s) => s.address), timeout: 300 }), logger: quiet });
    t.after(() => cache.close());
    await Promise.all(servers.map((s) => s.kill()));
    for (let i = 0; i < 10; i++) await cache.get(`warm${i}`);
    const start = performance.now();
    for (let i = 0; i < 100; i++) {
      assert.equal(await cache.get(`k${i}`), undefined);
      assert.equal(await cache.set(`k${i}`, i), false);
    }
    const perCall = (performance.now() - start) / 200;
    assert.ok(perCall < 5, `a call on a dead cluster took ${perCall} ms, not an immediate answer`);
    const errors = cache.stats().errors;
    assert.equal(errors, 210);
  });

  it('one slow request fails alone: the requests in flight beside it on that node succeed', async (t) => {
    const server = await MemcachedServer.start();
    t.after(() => server.stop());
    const proxy = await startDelayProxy(server, 'slow', 800);
    t.after(() => proxy.close());
    const cache = new Cache({ backend: new MemcachedBackend({ servers: proxy.address, timeout: 300, failureLimit: 5 }), logger: quiet });
    t.after(() => cache.close());
    const direct = new Cache({ backend: new MemcachedBackend({ servers: server.address }), logger: quiet });
    assert.deepEqual(await direct.setMany([['slow', 's'], ...Array.from({ length: 20 }, (_, i) => [`fast${i}`, i] as const)]), []);
    await direct.close();

    assert.equal(await cache.get('fast0'), 0, 'connected: from here on each request has the plain timeout');
    const slow = cache.get('slow');
    const fast = await Promise.all(Array.from({ length: 20 }, (_, i) => cache.get(`fast${i}`)));
    assert.deepEqual(fast, Array.from({ length: 20 }, (_, i) => i));
    assert.equal(await slow, undefined, 'the slow one (stored, but answered late) times out as a miss');
    assert.equal(await cache.get('fast3'), 3, 'the connection is still good afterwards');
  });
});
