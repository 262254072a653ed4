import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { Cache, MemcachedBackend, MemoryBackend, type Backend, type CacheErrorEvent } from '../src/index.js';
import { UnreachableBackend } from '../src/conformance.js';

const PICKLE = 1;

/** A cache with its log lines and error events collected, so a test can count both. */
function watched(backend: Backend, options: { ignoreErrors?: boolean } = {}) {
  const lines: string[] = [];
  const errors: CacheErrorEvent[] = [];
  const cache = new Cache({ backend, logger: { warn: (line) => lines.push(line) }, ...options });
  cache.on('error', (event) => errors.push(event));
  return { cache, lines, errors };
}

/** A MemoryBackend that declines every write without failing (as a full or refusing store may). */
class DecliningBackend extends MemoryBackend {
  override setSync(): boolean {
    return false;
  }
}

/** The statuses every backend can show without a failure: hit, miss, undecodable, stored, removed, absent, extended. */
function outcomeSuite(name: string, open: () => Promise<Backend>): void {
  describe(`outcomes on ${name}`, () => {
    let cache: Cache;
    let lines: string[];
    let errors: CacheErrorEvent[];
    before(async () => {
      ({ cache, lines, errors } = watched(await open()));
    });
    after(() => cache.close());

    it('read: hit with the value, miss, and miss with `undecodable` for a value it cannot decode (counted, emitted once)', async () => {
      assert.deepEqual(await cache.write('r:hit', { n: 1 }), { status: 'stored' });
      assert.deepEqual(await cache.read('r:hit'), { status: 'hit', value: { n: 1 } });
      const miss = await cache.read('r:absent');
      assert.deepEqual(miss, { status: 'miss' });
      assert.ok(!('undecodable' in miss), 'a plain miss carries no error');

      await cache.backend.set(cache.backendKey('r:pickle'), { value: Buffer.from([0x80, 0x04, 0x4b, 0x01, 0x2e]), flags: PICKLE }, 60);
      const before = cache.stats();
      errors.length = 0;
      const undecodable = await cache.read('r:pickle');
      assert.equal(undecodable.status, 'miss');
      assert.equal(undecodable.status === 'miss' && undecodable.undecodable?.code, 'E_DESERIALIZE');
      const after = cache.stats();
      assert.equal(after.errors - before.errors, 1, 'counted once');
      assert.equal(after.misses - before.misses, 1);
      assert.deepEqual(errors.map((e) => [e.operation, e.key]), [['get', 'r:pickle']], 'emitted once');
      assert.deepEqual(lines, [], 'outcome calls leave logging to the caller');
    });

    it('write: stored; remove: removed then absent; extend: extended then absent', async () => {
      assert.deepEqual(await cache.write('w:k', 'v', 60), { status: 'stored' });
      assert.deepEqual(await cache.extend('w:k', 120), { status: 'extended' });
      assert.deepEqual(await cache.remove('w:k'), { status: 'removed' });
      assert.deepEqual(await cache.remove('w:k'), { status: 'absent' });
      assert.deepEqual(await cache.extend('w:k', 120), { status: 'absent' });
      assert.deepEqual(await cache.read('w:k'), { status: 'miss' });
    });

    it('writeIf: absent stores only where nothing is (else present), present only over a value (else absent); with tags, a hit carries their versions', async () => {
      assert.deepEqual(await cache.writeIf('c:k', 'one', 'present', 60), { status: 'absent' });
      assert.deepEqual(await cache.writeIf('c:k', 'one', 'absent', 60), { status: 'stored' });
      assert.deepEqual(await cache.writeIf('c:k', 'two', 'absent', 60), { status: 'present' });
      assert.deepEqual(await cache.writeIf('c:k', 'two', 'present', { ttl: 60, tags: ['c:user'] }), { status: 'stored' });
      const hit = await cache.read('c:k', { fresh: true });
      assert.equal(hit.status === 'hit' && hit.value, 'two');
      const versions = hit.status === 'hit' ? hit.versions : undefined;
      assert.deepEqual(versions?.tags, ['c:user']);
      // Written back under the versions read: an invalidation since the read makes it a miss.
      assert.equal(await cache.invalidateTags(['c:user']), true);
      assert.deepEqual(await cache.writeIf('c:k', 'three', 'present', { ttl: 60, tags: versions! }), { status: 'stored' });
      assert.deepEqual(await cache.read('c:k', { fresh: true }), { status: 'miss' });
      await assert.rejects(cache.writeIf('c:k', 'x', 'maybe' as never), { code: 'E_INVALID_ARGUMENT' });
    });

    it('usage errors still reject: a non-string key, an unstorable value, a bad ttl', async () => {
      await assert.rejects(cache.read(42 as unknown as string), { code: 'E_INVALID_ARGUMENT' });
      await assert.rejects(cache.write('u', undefined), { code: 'E_SERIALIZE' });
      await assert.rejects(cache.write('u', 'v', -1), { code: 'E_INVALID_ARGUMENT' });
      await assert.rejects(cache.extend('u', 'soon' as never), { code: 'E_INVALID_ARGUMENT' });
      await assert.rejects(cache.remove(null as unknown as string), { code: 'E_INVALID_ARGUMENT' });
    });

    it('stats() is synchronous: a snapshot object, not a promise', async () => {
      const stats = cache.stats();
      assert.ok(!(stats instanceof Promise));
      assert.equal(typeof stats.hits, 'number');
      assert.equal(stats.backend, cache.backend.name);
    });
  });
}

outcomeSuite('memory', async () => new MemoryBackend());

let server: MemcachedServer;
before(async () => {
  server = await MemcachedServer.start();
});
after(() => server.stop());
outcomeSuite('memcached', async () => new MemcachedBackend({ servers: server.address, timeout: 2000 }));

/** Every outcome call fails: `failed` with the typed error, counted once, emitted once, logged never, thrown never. */
async function assertFailures(cache: Cache, lines: string[], errors: CacheErrorEvent[], codes: readonly string[]): Promise<void> {
  const outcomes = [await cache.read('k'), await cache.write('k', 'v'), await cache.remove('k'), await cache.extend('k', 60)];
  for (const outcome of outcomes) {
    assert.equal(outcome.status, 'failed');
    assert.ok(outcome.status === 'failed' && codes.includes((outcome.error as { code?: string }).code ?? ''), String(outcome.status === 'failed' && outcome.error));
  }
  assert.equal(cache.stats().errors, 4, 'each failure counted once');
  assert.deepEqual(errors.map((e) => e.operation), ['get', 'set', 'delete', 'touch'], 'each failure emitted once');
  assert.deepEqual(
    errors.map((e) => e.error),
    outcomes.map((o) => (o.status === 'failed' ? o.error : undefined)),
    'the event carries the outcome error',
  );
  assert.equal(cache.stats().misses, 1, 'a failed read is a miss in stats, as a failed get is');
  assert.deepEqual(lines, [], 'nothing logged: logging is the caller’s');
}

describe('failed outcomes', () => {
  for (const ignoreErrors of [true, false]) {
    it(`on an unreachable backend (ignoreErrors: ${ignoreErrors}): failed, never thrown`, async () => {
      const { cache, lines, errors } = watched(new UnreachableBackend(), { ignoreErrors });
      await assertFailures(cache, lines, errors, ['E_CONNECTION']);
    });

    it(`on a stopped memcached (ignoreErrors: ${ignoreErrors}): failed, never thrown`, async (t: TestContext) => {
      const own = await MemcachedServer.start();
      t.after(() => own.stop());
      const { cache, lines, errors } = watched(new MemcachedBackend({ servers: own.address, timeout: 300 }), { ignoreErrors });
      t.after(() => cache.close());
      assert.deepEqual(await cache.write('k', 'v'), { status: 'stored' });
      await own.stop();
      await assertFailures(cache, lines, errors, ['E_CONNECTION', 'E_TIMEOUT', 'E_NODE_DEAD']);
      // writeIf tells a failure from a condition that did not hold.
      for (const condition of ['absent', 'present'] as const) assert.equal((await cache.writeIf('k', 'v', condition)).status, 'failed');
    });
  }

  it('two concurrent reads on a stopped memcached each get their own failure, each counted and emitted once', async (t) => {
    const own = await MemcachedServer.start();
    t.after(() => own.stop());
    const { cache, lines, errors } = watched(new MemcachedBackend({ servers: own.address, timeout: 300, failureLimit: 5 }));
    t.after(() => cache.close());
    await cache.write('shared', 'v');
    own.pause();
    t.after(() => own.resume());
    const [a, b] = await Promise.all([cache.read('shared'), cache.read('shared')]);
    assert.equal(a.status, 'failed');
    assert.equal(b.status, 'failed');
    assert.ok(a.status === 'failed' && b.status === 'failed' && a.error !== b.error, 'two failures, two errors');
    assert.equal(cache.stats().errors, 2);
    assert.equal(errors.length, 2);
    assert.deepEqual(new Set(errors.map((e) => e.error)), new Set([a.status === 'failed' && a.error, b.status === 'failed' && b.error]));
    assert.deepEqual(lines, []);
  });

  it('write: not-stored when the backend declines without failing; not counted as an error', async () => {
    const { cache, errors } = watched(new DecliningBackend());
    assert.deepEqual(await cache.write('k', 'v'), { status: 'not-stored' });
    assert.equal(await cache.set('k', 'v'), false);
    assert.equal(cache.stats().sets, 0);
    assert.equal(cache.stats().errors, 0);
    assert.deepEqual(errors, []);
  });

  it('a value too large rejects write (E_VALUE_TOO_LARGE), as it does set: no backend could store it', async () => {
    const { cache } = watched(new MemoryBackend({ maxValueSize: 1000 }));
    await assert.rejects(cache.write('big', Buffer.alloc(5000)), { code: 'E_VALUE_TOO_LARGE' });
  });
});

describe('get/set/delete/touch wrap the outcomes under ignoreErrors', () => {
  it('ignoreErrors true: undefined / false, one log line per burst, each failure counted and emitted once', async () => {
    const { cache, lines, errors } = watched(new UnreachableBackend());
    assert.equal(await cache.get('k'), undefined);
    assert.equal(await cache.set('k', 'v'), false);
    assert.equal(await cache.delete('k'), false);
    assert.equal(await cache.touch('k', 60), false);
    assert.equal(cache.stats().errors, 4);
    assert.equal(errors.length, 4);
    assert.equal(lines.length, 1, 'the wrappers log, once per burst');
    assert.match(lines[0]!, /^larder: get failed on memory: memcached 10\.0\.0\.1:11211: connect ECONNREFUSED$/);
  });

  it('ignoreErrors false: the typed error is thrown, still counted and emitted once, not logged', async () => {
    const { cache, lines, errors } = watched(new UnreachableBackend(), { ignoreErrors: false });
    await assert.rejects(cache.get('k'), { code: 'E_CONNECTION' });
    await assert.rejects(cache.set('k', 'v'), { code: 'E_CONNECTION' });
    await assert.rejects(cache.delete('k'), { code: 'E_CONNECTION' });
    await assert.rejects(cache.touch('k', 60), { code: 'E_CONNECTION' });
    assert.equal(cache.stats().errors, 4);
    assert.equal(errors.length, 4);
    assert.deepEqual(lines, []);
  });

  it('an undecodable value is a miss for get whatever ignoreErrors says, logged by get, not by read', async () => {
    for (const ignoreErrors of [true, false]) {
      const { cache, lines } = watched(new MemoryBackend(), { ignoreErrors });
      await cache.backend.set(cache.backendKey('p'), { value: Buffer.from([0x80]), flags: PICKLE }, 60);
      assert.equal((await cache.read('p')).status, 'miss');
      assert.equal(lines.length, 0);
      assert.equal(await cache.get('p'), undefined);
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /^larder: get failed on memory: Cannot decode a stored value \(flags 1\)/);
    }
  });
});
