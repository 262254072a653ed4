import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemcachedServer, metaTtl, startBlackHole, startDelayProxy } from '@larder/testing';
import { Cache } from '../src/index.js';
import { HashRing, MemcachedBackend, parseServerList, type MemcachedBackendOptions, type NodeStateChange } from '../src/memcached.js';

const quiet = { warn() {} };

/** Records node state changes and lets a test await one. */
function changeLog() {
  const changes: NodeStateChange[] = [];
  const waiters: Array<() => void> = [];
  return {
    changes,
    onNodeChange(change: NodeStateChange) {
      changes.push(change);
      for (const wake of waiters.splice(0)) wake();
    },
    /** Resolves when `server` reaches `state`, running `poke` (traffic) meanwhile; rejects after `ms`. */
    async until(server: string, state: NodeStateChange['state'], ms: number, poke?: () => Promise<unknown>): Promise<void> {
      const start = performance.now();
      const seen = () => changes.slice(seenFrom).some((c) => c.server === server && c.state === state);
      const seenFrom = changes.length;
      while (!seen()) {
        if (performance.now() - start > ms) throw new Error(`${server} did not become ${state} within ${ms} ms: ${JSON.stringify(changes)}`);
        const changed = new Promise<void>((resolve) => waiters.push(resolve));
        await Promise.race([changed, poke ? poke() : new Promise((resolve) => setTimeout(resolve, 50))]);
      }
    },
  };
}

/** Keys (from `prefix`0, 1, ...) that the full ring over `addresses` places on `owner`. */
function keysOwnedBy(addresses: string[], owner: string, prefix: string, count: number): string[] {
  const ring = new HashRing(parseServerList(addresses).map((address, i) => ({ address, node: addresses[i]! })));
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) if (ring.nodeFor(`${prefix}${i}`) === owner) keys.push(`${prefix}${i}`);
  return keys;
}

/** A cache on one server only, to look at what that server holds. */
function direct(server: MemcachedServer): Cache {
  return new Cache({ backend: new MemcachedBackend({ servers: server.address }), logger: quiet });
}

async function pair(t: { after: (fn: () => unknown) => void }, options: Partial<MemcachedBackendOptions> = {}) {
  const servers = await Promise.all([MemcachedServer.start(), MemcachedServer.start()]);
  t.after(() => Promise.all(servers.map((s) => s.stop())));
  const log = changeLog();
  const addresses = servers.map((s) => s.address);
  const backend = new MemcachedBackend({ servers: addresses, timeout: 300, onNodeChange: log.onNodeChange, ...options });
  const cache = new Cache({ backend, logger: quiet });
  t.after(() => cache.close());
  const [x, s] = servers as [MemcachedServer, MemcachedServer];
  return { x, s, addresses, log, cache, backend };
}

describe('node health: only real failures take a node out', () => {
  it('an ~800 ms event-loop stall with reads in flight marks no node dead, and the reads succeed', async (t) => {
    const servers = await Promise.all([MemcachedServer.start(), MemcachedServer.start(), MemcachedServer.start()]);
    t.after(() => Promise.all(servers.map((s) => s.stop())));
    const log = changeLog();
    // Default timeout (500 ms) and failure settings: the stall is longer than the timeout.
    const backend = new MemcachedBackend({ servers: servers.map((s) => s.address), onNodeChange: log.onNodeChange });
    const cache = new Cache({ backend, logger: quiet, ignoreErrors: false });
    t.after(() => cache.close());
    const keys = Array.from({ length: 60 }, (_, i) => `page:${i}`);
    assert.deepEqual(await cache.setMany(keys.map((k) => [k, k] as const)), []);

    const reads = Promise.allSettled(keys.map((key) => cache.get(key)));
    const many = cache.getMany(keys).then(
      (found) => found,
      (error: unknown) => error,
    );
    const until = performance.now() + 800;
    while (performance.now() < until) {
      // A synchronous handler or a GC pause: nothing else runs.
    }
    const settled = await reads;
    const rejected = settled.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(rejected, [], 'an answer already in the socket is not a timeout');
    assert.deepEqual(settled.map((r) => (r as PromiseFulfilledResult<unknown>).value), keys);
    assert.equal(Object.keys((await many) as object).length, keys.length);
    assert.deepEqual(log.changes, [], 'no node was marked dead');
    assert.equal(await cache.get('page:7'), 'page:7');
  });

  it('a SIGSTOPped node is marked dead, requests stop waiting on it, and it rejoins within seconds of SIGCONT', async (t) => {
    const { x, addresses, log, cache } = await pair(t);
    const xKeys = keysOwnedBy(addresses, x.address, 'user:', 20);
    assert.deepEqual(await cache.setMany(xKeys.map((k) => [k, k] as const)), []);

    x.pause();
    let reads = 0;
    const pausedAt = performance.now();
    await log.until(x.address, 'dead', 5000, () => cache.get(xKeys[reads++ % xKeys.length]!));
    const deadAfter = performance.now() - pausedAt;
    const [, missMs] = await timed(() => cache.get(xKeys[0]!));
    assert.ok(missMs < 100, `a read of a dead node's key took ${missMs} ms: it must not wait on the dead node`);

    x.resume();
    const resumedAt = performance.now();
    await log.until(x.address, 'alive', 8000);
    const aliveAfter = performance.now() - resumedAt;
    t.diagnostic(`marked dead ${deadAfter.toFixed(0)} ms after SIGSTOP; rejoined ${aliveAfter.toFixed(0)} ms after SIGCONT`);
    assert.deepEqual(
      log.changes.map((c) => c.state),
      ['dead', 'alive'],
    );
    assert.equal(await cache.set(xKeys[0]!, 'fresh'), true);
    const onX = direct(x);
    t.after(() => onX.close());
    assert.equal(await onX.get(xKeys[0]!), 'fresh', 'the node owns its keys again');
  });

  it('a node that is only slow for one request stays in the ring (a single timeout is not a failure)', async (t) => {
    const { x, addresses, log, cache } = await pair(t);
    const [key] = keysOwnedBy(addresses, x.address, 'slow:', 1);
    await cache.set(key!, 1);
    x.pause();
    assert.equal(await cache.get(key!), undefined, 'the one request timed out');
    x.resume();
    // Let the probe that follows a failure (one timeout, 300 ms) run its course.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(log.changes, [], 'the probe that followed it succeeded: the node stays');
    assert.equal(await cache.get(key!), 1);
  });
});

describe('node health: nothing acknowledged while a node was out is undone when it rejoins', () => {
  async function outage(
    t: { after: (fn: () => unknown) => void },
    during: (ctx: Awaited<ReturnType<typeof pair>>, xKeys: string[]) => Promise<void>,
    options: Partial<MemcachedBackendOptions> = {},
  ) {
    const ctx = await pair(t, options);
    const { x, addresses, log, cache } = ctx;
    const xKeys = keysOwnedBy(addresses, x.address, 'sess:', 12);
    assert.deepEqual(await cache.setMany(xKeys.map((k) => [k, `old ${k}`] as const)), []);
    x.pause();
    // Reads of one key: it failed on the stopped node, so it is removed from it before it rejoins.
    await log.until(x.address, 'dead', 5000, () => cache.get(xKeys[0]!));
    await during(ctx, xKeys);
    x.resume();
    const resumedAt = performance.now();
    // Traffic meanwhile, so a client that revives nodes only on requests gets its chance too.
    await log.until(x.address, 'alive', 8000, () => cache.get('other'));
    return { ...ctx, xKeys, rejoinMs: performance.now() - resumedAt };
  }

  it('a logout (delete) acknowledged by the survivor stays a logout after the node rejoins', async (t) => {
    const { x, s, xKeys, cache, rejoinMs } = await outage(t, async ({ cache }, xKeys) => {
      // The session read fell over to the survivor (a miss there); the logout deletes it.
      await cache.delete(xKeys[0]!);
      assert.equal(await cache.get(xKeys[0]!), undefined);
    });
    t.diagnostic(`rejoined ${rejoinMs.toFixed(0)} ms after SIGCONT`);
    assert.equal(await cache.get(xKeys[0]!), undefined, 'the old session must not come back');
    assert.equal(await cache.get(xKeys[11]!), `old ${xKeys[11]}`, 'keys nobody touched during the outage are kept');
    const onX = direct(x);
    const onS = direct(s);
    t.after(() => Promise.all([onX.close(), onS.close()]));
    assert.equal(await onX.get(xKeys[0]!), undefined);
  });

  it('a read routed to the survivor (a miss there) stays a miss after the rejoin; so does a key whose request failed on the node as it went', async (t) => {
    const { x, xKeys, cache } = await outage(t, async ({ cache }, xKeys) => {
      // A session read that found nothing during the outage: a logout the app did on that answer must hold.
      assert.equal(await cache.get(xKeys[9]!), undefined);
      assert.deepEqual(await cache.getMany([xKeys[10]!]), {});
    });
    const failedKey = xKeys[0]!;
    assert.equal(await cache.get(xKeys[9]!), undefined, 'the value read as absent during the outage must not come back');
    assert.equal(await cache.get(xKeys[10]!), undefined);
    // The outage helper's first read of xKeys[0] timed out on the stopped node.
    assert.equal(await cache.get(failedKey), undefined, 'a key whose request failed on the node as it left is removed before it rejoins');
    assert.equal(await cache.get(xKeys[11]!), `old ${xKeys[11]}`, 'keys nobody asked for during the outage are kept');
    const onX = direct(x);
    t.after(() => onX.close());
    assert.equal(await onX.get(xKeys[9]!), undefined);
  });

  it('an overwrite, setMany, deleteMany, add, incr and touch acknowledged during the outage are what reads return afterwards', async (t) => {
    const { s, xKeys, cache } = await outage(t, async ({ cache }, xKeys) => {
      assert.equal(await cache.set(xKeys[0]!, 'new 0'), true);
      assert.deepEqual(await cache.setMany([[xKeys[1]!, 'new 1'], [xKeys[2]!, 'new 2']]), []);
      await cache.deleteMany([xKeys[3]!, xKeys[4]!]);
      assert.equal(await cache.add(xKeys[5]!, 'added 5'), true);
      assert.equal(await cache.backend.set(xKeys[6]!, { value: Buffer.from('10'), flags: 4 }, 0), true);
      assert.equal(await cache.backend.incr(xKeys[6]!, 5n), 15n);
      assert.equal(await cache.backend.touch(xKeys[7]!, 100), false, 'touch of a key the survivor lacks');
    });
    // A key written elsewhere during the outage reads as a miss (its owner forgot it) or the new value, never the old one.
    const many = await cache.getMany(xKeys.slice(0, 8));
    for (const [key, value] of Object.entries(many)) assert.ok(!String(value).startsWith('old '), `${key} came back as ${String(value)}`);
    assert.ok([undefined, 'new 0'].includes(await cache.get<string>(xKeys[0]!)));
    assert.equal(await cache.get(xKeys[3]!), undefined);
    assert.equal(await cache.get(xKeys[4]!), undefined);
    assert.equal(await cache.get(xKeys[8]!), `old ${xKeys[8]}`, 'untouched keys are kept');
    // The survivor's copies are no longer reachable; they are deleted too, so a later outage cannot serve them.
    const onS = direct(s);
    t.after(() => onS.close());
    for (let i = 0; i < 50 && (await onS.get(xKeys[1]!)) !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await onS.get(xKeys[1]!), undefined);
  });

  it('more keys changed than rejoinKeyLimit: the node is flushed before it rejoins', async (t) => {
    const { x, xKeys, cache, log } = await outage(
      t,
      async ({ cache }, xKeys) => {
        for (const key of xKeys.slice(0, 4)) await cache.delete(key);
      },
      { rejoinKeyLimit: 3 },
    );
    assert.deepEqual(log.changes.at(-1), { server: x.address, state: 'alive', flushed: true });
    for (const key of xKeys) assert.equal(await cache.get(key), undefined, 'everything on the flushed node is gone');
  });

  it('flush() while a node is out: the node is flushed before it rejoins', async (t) => {
    const { xKeys, cache } = await outage(t, async ({ cache }) => {
      await cache.clear();
    });
    assert.deepEqual(await cache.getMany(xKeys), {});
  });
});

describe('node health: a second outage never brings back a value deleted after the first (failoverTtl)', () => {
  /** Pauses `x` and drives reads of its keys until it is marked dead. */
  async function takeOut(x: MemcachedServer, log: ReturnType<typeof changeLog>, cache: Cache, keys: string[]) {
    x.pause();
    let reads = 0;
    await log.until(x.address, 'dead', 5000, () => cache.get(keys[reads++ % keys.length]!));
  }

  /** Resolves once `server` no longer holds `key` (memcached's own expiry); rejects after `ms`. */
  async function goneFrom(server: MemcachedServer, key: string, ms: number): Promise<void> {
    const start = performance.now();
    while ((await metaTtl(server.host, server.port, key)) !== undefined) {
      if (performance.now() - start > ms) throw new Error(`the survivor still holds the key after ${ms} ms (ttl ${await metaTtl(server.host, server.port, key)})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('rejoinKeyLimit 0 (always flush): the survivor copy of a key written in the outage lives at most failoverTtl, so a later delete holds through the next outage', async (t) => {
    const { x, s, addresses, log, cache } = await pair(t, { rejoinKeyLimit: 0, failoverTtl: 1, deadTimeout: '300ms' });
    const [key] = keysOwnedBy(addresses, x.address, 'session:', 1) as [string];
    await cache.set(key, 'v0');
    await takeOut(x, log, cache, [key]);
    assert.equal(await cache.set(key, 'alice-session', 3600), true, 'written to the survivor');
    const ttl = await metaTtl(s.host, s.port, key);
    assert.ok(ttl !== undefined && ttl >= 0 && ttl <= 1, `the survivor copy is capped at failoverTtl, has ${ttl}`);
    x.resume();
    await log.until(x.address, 'alive', 8000, () => cache.get('other'));
    assert.deepEqual(log.changes.at(-1), { server: x.address, state: 'alive', flushed: true });
    await cache.delete(key); // the logout, acknowledged by x
    await goneFrom(s, key, 5000);
    await takeOut(x, log, cache, [key]);
    assert.equal(await cache.get(key), undefined, 'the deleted session must not come back in the second outage');
    x.resume();
  });

  it('past rejoinKeyLimit: keys still tracked keep their TTL and are cleaned after the rejoin; the rest live at most failoverTtl', async (t) => {
    const { x, s, addresses, log, cache } = await pair(t, { rejoinKeyLimit: 3, failoverTtl: 1, deadTimeout: '300ms' });
    const keys = keysOwnedBy(addresses, x.address, 'sess:', 6);
    assert.deepEqual(await cache.setMany(keys.map((k) => [k, 'old'] as const)), []);
    await takeOut(x, log, cache, keys);
    for (const key of keys) assert.equal(await cache.set(key, `new ${key}`, 3600), true);
    // The first three are tracked (exact: full TTL); the list overflowed on the fourth.
    for (const key of keys.slice(0, 3)) assert.ok(((await metaTtl(s.host, s.port, key)) ?? 0) > 1000, `${key} keeps its TTL`);
    await goneFrom(s, keys[3]!, 5000);
    assert.equal(await cache.get(keys[0]!), `new ${keys[0]}`, 'a tracked key is still served during the outage');
    x.resume();
    await log.until(x.address, 'alive', 8000, () => cache.get('other'));
    assert.deepEqual(log.changes.at(-1), { server: x.address, state: 'alive', flushed: true });
    // The tracked keys' survivor copies are deleted after the rejoin, though the node was flushed.
    for (const key of keys.slice(0, 3)) await goneFrom(s, key, 3000);
    for (const key of keys) await cache.delete(key);
    await takeOut(x, log, cache, keys);
    assert.deepEqual(await cache.getMany(keys), {}, 'nothing deleted after the rejoin comes back');
    x.resume();
  });

  it('writes after flush() during the outage are still tracked: their survivor copies are deleted after the rejoin', async (t) => {
    const { x, s, addresses, log, cache } = await pair(t, { failoverTtl: 3600, deadTimeout: '300ms' });
    const [key] = keysOwnedBy(addresses, x.address, 'cart:', 1) as [string];
    await takeOut(x, log, cache, [key]);
    await cache.clear();
    assert.equal(await cache.set(key, 'after flush', 3600), true);
    assert.ok(((await metaTtl(s.host, s.port, key)) ?? 0) > 1000, 'tracked: not capped');
    x.resume();
    await log.until(x.address, 'alive', 8000, () => cache.get('other'));
    assert.deepEqual(log.changes.at(-1), { server: x.address, state: 'alive', flushed: true });
    await goneFrom(s, key, 3000);
  });
});

describe('node health: a throwing onNodeChange listener', () => {
  it('neither crashes the process nor strands the node: it is probed and rejoins', async (t) => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    t.after(() => process.off('unhandledRejection', onUnhandled));
    const warn = t.mock.method(console, 'warn', () => undefined);
    const log = changeLog();
    const { x, addresses, cache } = await pair(t, {
      deadTimeout: '300ms',
      onNodeChange(change) {
        log.onNodeChange(change);
        throw new Error('listener bug');
      },
    });
    const keys = keysOwnedBy(addresses, x.address, 'k:', 10);
    x.pause();
    let reads = 0;
    await log.until(x.address, 'dead', 5000, () => cache.get(keys[reads++ % keys.length]!));
    x.resume();
    await log.until(x.address, 'alive', 8000, () => cache.get('other'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
    assert.equal(warn.mock.callCount(), 1, 'reported once');
    assert.equal(await cache.set(keys[0]!, 'back'), true);
    const onX = direct(x);
    t.after(() => onX.close());
    assert.equal(await onX.get(keys[0]!), 'back', 'the node owns its keys again');
  });
});

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await run();
  return [result, performance.now() - start];
}

describe('every call settles within its timeout', () => {
  it('a request sent while the connection is still being set up (SASL that never answers) settles within timeout, not connectTimeout + timeout', async (t) => {
    const hole = await startBlackHole();
    t.after(() => hole.close());
    const backend = new MemcachedBackend({ servers: hole.address, username: 'u', password: 'p', timeout: 300, connectTimeout: 2000 });
    t.after(() => backend.close());
    const [first, firstMs] = await timed(() => backend.get('k').then(() => 'answered', (error: { code?: string }) => error.code));
    const [second, secondMs] = await timed(() => backend.set('k', { value: Buffer.from('v'), flags: 0 }, 0).then(() => 'answered', (error: { code?: string }) => error.code));
    t.diagnostic(`calls settled after ${firstMs.toFixed(0)} ms and ${secondMs.toFixed(0)} ms (timeout 300, connectTimeout 2000)`);
    assert.equal(first, 'E_TIMEOUT');
    assert.ok(['E_TIMEOUT', 'E_NODE_DEAD'].includes(String(second)), String(second));
    assert.ok(firstMs < 1500, `first call took ${firstMs} ms (timeout 300, connectTimeout 2000)`);
    assert.ok(secondMs < 1500, `second call took ${secondMs} ms`);
  });

  it('a value over chunkSize settles within timeout, not one timeout per round trip (manifest, then chunks)', async (t) => {
    const server = await MemcachedServer.start();
    t.after(() => server.stop());
    const value = 'x'.repeat(5000);
    const writer = new MemcachedBackend({ servers: server.address, chunkSize: 1024 });
    t.after(() => writer.close());
    assert.equal(await writer.set('big', { value: Buffer.from(value), flags: 0 }, 0), true);
    // Two proxies in a row: one holds back the manifest's answer (key "big"), the other the
    // chunks' batch (which ends in a NOOP, whose key is empty); each by 60 % of the timeout.
    const inner = await startDelayProxy(server, '', 400);
    t.after(() => inner.close());
    const [innerHost, innerPort] = inner.address.split(':') as [string, string];
    const outer = await startDelayProxy({ host: innerHost, port: Number(innerPort) }, 'big', 400);
    t.after(() => outer.close());
    const backend = new MemcachedBackend({ servers: outer.address, chunkSize: 1024, timeout: 650, failureLimit: 100 });
    t.after(() => backend.close());
    const [outcome, ms] = await timed(() => backend.get('big').then((item) => `value of ${item?.value.length}`, (error: { code?: string }) => error.code));
    t.diagnostic(`chunked get settled after ${ms.toFixed(0)} ms (timeout 650, two round trips of 400)`);
    assert.equal(outcome, 'E_TIMEOUT', 'the chunks get only what is left of the timeout');
  });

  it('connect() may take connectTimeout, and says so', async (t) => {
    const hole = await startBlackHole();
    t.after(() => hole.close());
    const backend = new MemcachedBackend({ servers: hole.address, username: 'u', password: 'p', timeout: 100, connectTimeout: 600 });
    t.after(() => backend.close());
    const [error, ms] = await timed(() => backend.connect().then(() => undefined, (e: Error & { code?: string }) => e));
    assert.equal(error?.code, 'E_TIMEOUT');
    assert.match(error!.message, /600 ms/);
    assert.ok(ms >= 500, `connect gave up after ${ms} ms, before connectTimeout`);
  });
});

describe('timeout options name their unit', () => {
  const servers = '127.0.0.1:1';
  it('rejects seconds where milliseconds are meant, and values a timer cannot hold', () => {
    for (const option of ['timeout', 'connectTimeout'] as const) {
      for (const bad of [0.5, 0, -1, 2 ** 31, Number.NaN, Infinity, '0.5', 'soon', '5x', '']) {
        assert.throws(
          () => new MemcachedBackend({ servers, [option]: bad as never }),
          (error: Error & { code?: string }) =>
            error.code === 'E_INVALID_OPTION' && error.message.includes(`"${option}"`) && /ms|millisecond/.test(error.message),
          `${option}: ${String(bad)}`,
        );
      }
    }
    assert.throws(() => new MemcachedBackend({ servers, timeout: 0.5 }), { message: /seconds/ }, 'the message hints at the seconds mix-up');
    for (const bad of [0, -1, 2 ** 31, '2x', 'NaN']) {
      assert.throws(() => new MemcachedBackend({ servers, deadTimeout: bad as never }), { code: 'E_INVALID_OPTION', message: /"deadTimeout".*second/ });
    }
    assert.throws(() => new MemcachedBackend({ servers, rejoinKeyLimit: -1 }), { code: 'E_INVALID_OPTION', message: /rejoinKeyLimit/ });
    assert.throws(() => new MemcachedBackend({ servers, failureLimit: 0 }), { code: 'E_INVALID_OPTION', message: /failureLimit/ });
  });

  it("accepts '500ms', '2s' strings and bounds", async (t) => {
    for (const good of [1, 500, 2 ** 31 - 1, '500ms', '2s', '1.5s', '1m']) {
      const backend = new MemcachedBackend({ servers, timeout: good as never, connectTimeout: good as never, deadTimeout: '2s' });
      await backend.close();
    }
    new MemcachedBackend({ servers, deadTimeout: 2 }).close();
    new MemcachedBackend({ servers, deadTimeout: '500ms' }).close();
    const hole = await startBlackHole();
    t.after(() => hole.close());
    const backend = new MemcachedBackend({ servers: hole.address, timeout: '250ms', connectTimeout: '1s' });
    t.after(() => backend.close());
    await assert.rejects(backend.get('k'), { code: 'E_TIMEOUT', message: /within 250 ms/ });
  });
});
