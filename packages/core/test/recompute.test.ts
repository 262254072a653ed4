import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer, runPython } from '@larder/testing';
import { Cache, Flags, MemcachedBackend, MemoryBackend, memoize, type CacheStaleEvent } from '../src/index.js';
import { MAX_BACKGROUND_REFRESHES } from '../src/recompute/flight.js';
import { lockKey, tryLock } from '../src/recompute/stampede-lock.js';
import { writeStale } from './stale-entry.js';

const quiet = { warn() {} };

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

function staleEvents(cache: Cache): CacheStaleEvent[] {
  const events: CacheStaleEvent[] = [];
  cache.on('stale', (event) => events.push(event));
  return events;
}

describe('grace: stale-while-revalidate in getOrSet (memory backend)', () => {
  it('a stale value is served at once to every caller while one refresh runs; then the fresh value', async () => {
    const cache = new Cache({ logger: quiet });
    await writeStale(cache, 'k', 'old', 60);
    const events = staleEvents(cache);
    const held = gate();
    let runs = 0;
    const factory = async () => {
      runs++;
      await held.promise;
      return 'new';
    };
    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.getOrSet('k', factory, { ttl: 60, grace: '1h' })));
    assert.ok(answers.every((answer) => answer === 'old'), 'all answered while the refresh is still held open');
    assert.equal(runs, 1);
    assert.equal(events[0]?.reason, 'expired');
    held.open();
    await waitUntil(async () => (await cache.get('k')) === 'new');
    assert.equal(await cache.getOrSet('k', factory, { ttl: 60, grace: '1h' }), 'new');
    assert.equal(runs, 1);
  });

  it('values written with grace read fresh until their ttl, and get() never returns a stale one', async () => {
    const cache = new Cache({ logger: quiet });
    await cache.set('fresh', 'v', { ttl: 60, grace: 60 });
    assert.equal(await cache.get('fresh'), 'v');
    await writeStale(cache, 'old', 'v', 60);
    assert.equal(await cache.get('old'), undefined, 'a plain get treats a stale value as the miss it is');
    const outcome = await cache.read('old');
    assert.equal(outcome.status, 'miss');
    assert.equal(outcome.status === 'miss' && outcome.stale?.value, 'v', 'read() says what is there');
  });

  it('a cache default grace applies to getOrSet, memoize and the stale serve is counted in stats', async () => {
    const cache = new Cache({ logger: quiet, grace: '10m' });
    await writeStale(cache, 'k', 'old', 60);
    assert.equal(await cache.getOrSet('k', () => 'new', 60), 'old');
    assert.equal(cache.stats().stale, 1);
  });

  it('stale-if-error: a refresh that fails while a caller waits (timeout.soft) gives the stale value, logged once per burst; the error is not stored', async () => {
    const warnings: string[] = [];
    const cache = new Cache({ logger: { warn: (message) => warnings.push(message) } });
    await writeStale(cache, 'k', 'old', 60);
    const events = staleEvents(cache);
    const failing = async (): Promise<string> => {
      throw new Error('origin down');
    };
    const options = { ttl: 60, grace: '1h', timeout: { soft: '5s' } } as const;
    for (let i = 0; i < 5; i++) assert.equal(await cache.getOrSet('k', failing, options), 'old');
    assert.deepEqual(new Set(events.map((event) => event.reason)), new Set(['error']));
    assert.equal(warnings.length, 1, 'one log line for the burst');
    assert.match(warnings[0]!, /origin down/);
    assert.equal((await cache.read('k')).status, 'miss', 'still the stale entry, nothing new stored');
  });

  it('staleIfError: false lets the refresh error reach a caller that waits for it', async () => {
    const cache = new Cache({ logger: quiet });
    await writeStale(cache, 'k', 'old', 60);
    await assert.rejects(
      cache.getOrSet('k', () => Promise.reject(new Error('origin down')), { ttl: 60, grace: '1h', staleIfError: false, timeout: { soft: '5s' } }),
      /origin down/,
    );
  });

  it('timeout.soft: a slow refresh gives the stale value after soft; the factory finishes in the background and is stored', async () => {
    const cache = new Cache({ logger: quiet });
    await writeStale(cache, 'k', 'old', 60);
    const events = staleEvents(cache);
    const held = gate();
    const slow = async () => {
      await held.promise;
      return 'new';
    };
    assert.equal(await cache.getOrSet('k', slow, { ttl: 60, grace: '1h', timeout: { soft: 20 } }), 'old');
    assert.equal(events[0]?.reason, 'timeout');
    held.open();
    await waitUntil(async () => (await cache.get('k')) === 'new');
  });

  it('timeout.hard on a miss: E_TIMEOUT (a FactoryTimeoutError); a late result still fills the cache', async () => {
    const cache = new Cache({ logger: quiet });
    const held = gate();
    const hung = async () => {
      await held.promise;
      return 'late';
    };
    await assert.rejects(cache.getOrSet('k', hung, { timeout: { hard: 30 } }), (error: Error & { code?: string }) => error.code === 'E_TIMEOUT' && error.name === 'FactoryTimeoutError');
    held.open();
    await waitUntil(async () => (await cache.get('k')) === 'late');
  });

  it('timeout.hard on a refresh: the waiting caller already has the stale value (soft < hard); the refresh fails with E_TIMEOUT, logged', async () => {
    const warnings: string[] = [];
    const cache = new Cache({ logger: { warn: (message) => warnings.push(message) } });
    await writeStale(cache, 'k', 'old', 60);
    const events = staleEvents(cache);
    assert.equal(await cache.getOrSet('k', () => new Promise<string>(() => {}), { grace: 60, timeout: { soft: 10, hard: 30 } }), 'old');
    assert.equal(events[0]?.reason, 'timeout');
    await waitUntil(async () => warnings.length > 0);
    assert.match(warnings[0]!, /timeout\.hard/);
  });

  it('an entry another process wrote with grace is served stale by a getOrSet without grace of its own: the writer’s grace decides', async () => {
    const cache = new Cache({ logger: quiet });
    await writeStale(cache, 'k', 'old', 60);
    assert.equal(await cache.getOrSet('k', () => 'new', 60), 'old');
    await waitUntil(async () => (await cache.get('k')) === 'new');
  });
});

describe('the grace envelope: stored form', () => {
  it('values written without grace are byte-for-byte what they were (flags 16, UTF-8)', async () => {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend, logger: quiet });
    await cache.getOrSet('plain', () => 'text', 60);
    const item = await backend.get('plain');
    assert.equal(item?.flags, Flags.TEXT);
    assert.equal(item?.value.toString(), 'text');
  });

  it('a value with grace: flags 1024, version 1, its logical expiry, its own flags and bytes; kept for ttl + grace', async () => {
    const seen: number[] = [];
    const backend = new MemoryBackend();
    const set = backend.setSync.bind(backend);
    backend.setSync = (key, item, ttl) => (seen.push(ttl), set(key, item, ttl));
    const cache = new Cache({ backend, logger: quiet });
    const before = Date.now();
    await cache.set('k', 'text', { ttl: 60, grace: '1h' });
    const item = (await backend.get('k'))!;
    assert.equal(item.flags, Flags.GRACE);
    const bytes = item.value;
    assert.equal(bytes.readUInt8(0), 1);
    const expiresAt = Number(bytes.readBigUInt64BE(1));
    assert.ok(expiresAt >= before + 60_000 && expiresAt <= Date.now() + 60_000);
    assert.equal(bytes.readUInt32BE(9), Flags.TEXT);
    assert.equal(bytes.subarray(13).toString(), 'text');
    assert.deepEqual(seen, [3660]);
  });

  for (const [name, bytes] of [
    ['an unknown version', Buffer.concat([Buffer.from([2]), Buffer.alloc(12)])],
    ['a truncated header', Buffer.from([1, 0, 0])],
    ['a nested envelope', (() => { const b = Buffer.alloc(13); b.writeUInt8(1, 0); b.writeBigUInt64BE(BigInt(Date.now() + 60_000), 1); b.writeUInt32BE(Flags.GRACE, 9); return b; })()],
  ] as const) {
    it(`an envelope with ${name} reads as a miss plus an E_DESERIALIZE event, and getOrSet recomputes`, async () => {
      const cache = new Cache({ logger: quiet });
      const errors: string[] = [];
      cache.on('error', (event) => errors.push((event.error as Error & { code: string }).code));
      await cache.backend.set('k', { value: bytes, flags: Flags.GRACE }, 60);
      assert.equal(await cache.get('k'), undefined);
      assert.equal(await cache.getOrSet('k', () => 'computed', { ttl: 60, grace: 60 }), 'computed');
      assert.deepEqual(errors, ['E_DESERIALIZE', 'E_DESERIALIZE']);
    });
  }

  it('a value that never expires (ttl 0) is stored as it is, grace or not', async () => {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend, logger: quiet });
    await cache.set('k', 'text', { ttl: 0, grace: 60 });
    assert.equal((await backend.get('k'))?.flags, Flags.TEXT);
  });
});

describe('recompute options are checked where they are given', () => {
  it('new Cache(): E_INVALID_OPTION naming the option', () => {
    assert.throws(() => new Cache({ grace: 'soon' as never }), (error: Error & { code?: string }) => error.code === 'E_INVALID_OPTION' && /"grace"/.test(error.message));
    assert.throws(() => new Cache({ lock: 'yes' as never }), /"lock"/);
    assert.throws(() => new Cache({ factoryTimeout: { soft: '2s', hard: '1s' } }), /"factoryTimeout.soft".*shorter than/);
    assert.throws(() => new Cache({ factoryTimeout: { hard: 0.5 } }), /"factoryTimeout.hard"/);
    assert.throws(() => new Cache({ lock: { timout: '1s' } as never }), /"lock.timout"/);
  });

  it('memoize(): at wrap time, not at the first call', () => {
    assert.throws(() => memoize({ cache: new Cache({ logger: quiet }), name: 'checked', grace: -1 })(async () => 1), (error: Error & { code?: string }) => error.code === 'E_INVALID_OPTION');
  });

  it('getOrSet(): E_INVALID_ARGUMENT', async () => {
    const cache = new Cache({ logger: quiet });
    await assert.rejects(cache.getOrSet('k', () => 1, { timeout: { soft: 'later' as never } }), (error: Error & { code?: string }) => error.code === 'E_INVALID_ARGUMENT' && /timeout.soft/.test(error.message));
  });

  it('set(): a bad grace is E_INVALID_ARGUMENT', async () => {
    const cache = new Cache({ logger: quiet });
    await assert.rejects(cache.set('k', 1, { grace: 'x' as never }), (error: Error & { code?: string }) => error.code === 'E_INVALID_ARGUMENT');
    // An unknown name is an option error, as everywhere (the value errors of a call stay E_INVALID_ARGUMENT).
    await assert.rejects(cache.set('k', 1, { tll: 5 } as never), { code: 'E_INVALID_OPTION', message: /"tll": is not an option of a write/ });
  });
});

describe('the cross-process lock on real memcached', () => {
  let server: MemcachedServer;
  before(async () => {
    server = await MemcachedServer.start();
  });
  after(() => server.stop());
  const open = () => new Cache({ backend: new MemcachedBackend({ servers: server.address }), logger: quiet });

  it('two Caches (two single-flights, as two processes have) compute a cold key once', async (t) => {
    const [a, b] = [open(), open()];
    t.after(() => Promise.all([a.close(), b.close()]));
    let runs = 0;
    const factory = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return 'v';
    };
    const answers = await Promise.all([a.getOrSet('cold', factory, { lock: true }), b.getOrSet('cold', factory, { lock: true })]);
    assert.deepEqual(answers, ['v', 'v']);
    assert.equal(runs, 1);
    assert.equal(a.stats().lockWaits + b.stats().lockWaits, 1);
  });

  it('a release frees only the holder’s own lock: a lock taken over after expiry is left alone', async (t) => {
    const cache = open();
    t.after(() => cache.close());
    const attempt = await tryLock(cache.backend, cache.backendKey('k'), 1000);
    assert.equal(attempt?.status, 'acquired');
    const key = lockKey(cache.backendKey('k'));
    // As if the lock had expired and another process had taken it.
    await cache.backend.set(key, { value: Buffer.from('someone-else'), flags: 0 }, 5);
    if (attempt?.status === 'acquired') await attempt.release();
    assert.equal((await cache.backend.get(key))?.value.toString(), 'someone-else');
    const again = await tryLock(cache.backend, cache.backendKey('k'), 1000);
    assert.deepEqual(again, { status: 'held', holder: 'someone-else' });
  });

  it('a released lock is taken at once by the next process (no wait for its TTL)', async (t) => {
    const [a, b] = [open(), open()];
    t.after(() => Promise.all([a.close(), b.close()]));
    const first = await tryLock(a.backend, a.backendKey('r'), 5000);
    assert.equal(first?.status, 'acquired');
    assert.equal((await tryLock(b.backend, b.backendKey('r'), 5000))?.status, 'held');
    if (first?.status === 'acquired') await first.release();
    assert.equal((await tryLock(b.backend, b.backendKey('r'), 5000))?.status, 'acquired');
  });

  it('a failing factory under the lock: its error reaches the caller, nothing is stored, the next caller computes', async (t) => {
    const cache = open();
    t.after(() => cache.close());
    await assert.rejects(cache.getOrSet('failing', () => Promise.reject(new Error('origin down')), { lock: true }), /origin down/);
    assert.equal(await cache.get('failing'), undefined);
    assert.equal(await cache.getOrSet('failing', () => 'ok', { lock: true }), 'ok');
  });

  it('memcached down: no lock can be had, the caller computes (the failure counted, not thrown)', async (t) => {
    const dead = await MemcachedServer.start();
    const cache = new Cache({ backend: new MemcachedBackend({ servers: dead.address, timeout: 200, connectTimeout: 200 }), logger: quiet });
    t.after(() => cache.close());
    await dead.kill();
    assert.equal(await cache.getOrSet('k', () => 'computed', { lock: true }), 'computed');
  });

  it('lock keys never equal a caller key: they end in ":lock" after a SHA-256, under "larder-lock:sha256:"', () => {
    assert.match(lockKey('view//users/7'), /^larder-lock:sha256:[0-9a-f]{64}:lock$/);
  });

  it('the origin failing for a while inside grace: no caller sees an error; once grace is over, errors surface', async (t) => {
    const cache = open();
    t.after(() => cache.close());
    // Stale now, kept by memcached 2 s more: the grace left.
    await writeStale(cache, 'origin', 'last good', 2);
    let errors = 0;
    let served = 0;
    const failing = (): Promise<string> => Promise.reject(new Error('origin down'));
    const options = { ttl: 60, grace: '1h', lock: true, timeout: { soft: '1s' } } as const;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      await Promise.all(Array.from({ length: 20 }, () => cache.getOrSet('origin', failing, options).then(() => served++, () => errors++)));
    }
    assert.equal(errors, 0);
    assert.ok(served > 0);
    // memcached drops the entry when its grace ends; then the failure is the caller's.
    await waitUntil(async () => (await cache.read('origin')).status === 'miss' && (await cache.read('origin')).status === 'miss' && !(await hasStale(cache, 'origin')));
    await assert.rejects(cache.getOrSet('origin', failing, options), /origin down/);
  });

  it('pylibmc reads a value with grace as plain bytes and does not choke on it', async (t) => {
    const cache = open();
    t.after(() => cache.close());
    await cache.set('py', 'shared text', { ttl: 60, grace: 60 });
    const seen = runPython<[string, number]>(
      'import json, sys, pylibmc\nmc = pylibmc.Client([json.load(sys.stdin)], binary=True)\nv = mc.get("py")\nprint(json.dumps([type(v).__name__, len(v)]))',
      server.address,
    );
    assert.deepEqual(seen, ['bytes', 13 + 'shared text'.length]);
  });
});

async function hasStale(cache: Cache, key: string): Promise<boolean> {
  const outcome = await cache.read(key);
  return outcome.status === 'miss' && outcome.stale !== undefined;
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let pause = 2; !(await check()); pause = Math.min(pause * 2, 100)) await new Promise((resolve) => setTimeout(resolve, pause));
}

describe('staleIfError: false', () => {
  it('a failed background refresh ends the stale value: the next caller meets the error', async () => {
    const cache = new Cache({ logger: quiet });
    await writeStale(cache, 'k', 'old', 60);
    const failing = (): Promise<string> => Promise.reject(new Error('origin down'));
    const options = { ttl: 60, grace: '1h', staleIfError: false } as const;
    assert.equal(await cache.getOrSet('k', failing, options), 'old', 'served stale while the refresh runs');
    await waitUntil(async () => (await cache.read('k')).status === 'miss' && !(await hasStale(cache, 'k')));
    await assert.rejects(cache.getOrSet('k', failing, options), /origin down/);
  });
});

describe('background refreshes are bounded', () => {
  it(`stale values of many keys are all served, but at most ${MAX_BACKGROUND_REFRESHES} refreshes run at once`, async () => {
    const cache = new Cache({ logger: quiet });
    const keys = Array.from({ length: MAX_BACKGROUND_REFRESHES + 16 }, (_, i) => `k${i}`);
    for (const key of keys) await writeStale(cache, key, 'old', 60);
    const held = gate();
    let started = 0;
    const slow = async () => {
      started++;
      await held.promise;
      return 'new';
    };
    const answers = await Promise.all(keys.map((key) => cache.getOrSet(key, slow, { ttl: 60, grace: 60 })));
    assert.ok(answers.every((answer) => answer === 'old'));
    assert.equal(started, MAX_BACKGROUND_REFRESHES);
    held.open();
    await waitUntil(async () => (await cache.get(keys[0]!)) === 'new');
    assert.equal(await cache.getOrSet(keys.at(-1)!, slow, { ttl: 60, grace: 60 }), 'old', 'a key left out is refreshed on a later read');
    await waitUntil(async () => (await cache.get(keys.at(-1)!)) === 'new');
  });
});
