import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Backend, StoredItem } from '../types/backend.js';

/** What a backend under test needs besides itself. */
export interface ConformanceTarget {
  /** The backend under test, new and not yet connected; the suite connects, flushes and closes it. */
  readonly backend: Backend;
  /** Moves time forward: a fake clock for in-process backends, a real wait for memcached. */
  advance(seconds: number): Promise<void>;
  /** True when `advance` moves a fake clock (so days can pass in a test). */
  readonly fakeClock: boolean;
  /** Remaining TTL as the store itself reports it (-1 = never expires), when it can tell. */
  remainingTtl?(key: string): Promise<number | undefined>;
  /** Stops servers and the like. */
  dispose(): Promise<void>;
}

const item = (text: string, flags = 0): StoredItem => ({ value: Buffer.from(text), flags });
const text = (found: StoredItem | undefined): string | undefined => found?.value.toString();

/**
 * The Backend contract as node:test tests (a `describe` block named after `name`), run against
 * every backend with a real service behind it: Larder's own and any third-party one. `setup`
 * runs once before the tests; each test flushes the backend first, so the order does not matter.
 */
export function backendConformance(name: string, setup: () => Promise<ConformanceTarget>): void {
  describe(`Backend contract: ${name}`, () => {
    let target: ConformanceTarget;
    let backend: Backend;

    before(async () => {
      target = await setup();
      backend = target.backend;
      await backend.connect();
    });
    after(async () => {
      await backend.close();
      await target.dispose();
    });
    beforeEach(async () => {
      await backend.flush();
    });

    it('get of an absent key is undefined', async () => {
      assert.equal(await backend.get('absent'), undefined);
    });

    it('set then get returns the bytes and the 32-bit flags word', async () => {
      const bytes = Buffer.from([0, 1, 2, 255, 254, 0x0d, 0x0a]);
      const flags = (0xfffffffe & ~backend.capabilities.reservedFlags) >>> 0;
      assert.equal(await backend.set('bin', { value: bytes, flags }, 0), true);
      const got = await backend.get('bin');
      assert.deepEqual(got?.value, bytes);
      assert.equal(got?.flags, flags);
    });

    it('an empty value is stored and read back as empty, not as a miss', async () => {
      await backend.set('empty', item(''), 0);
      assert.equal(text(await backend.get('empty')), '');
    });

    it('add stores only when absent, replace only when present', async () => {
      assert.equal(await backend.replace('k', item('r'), 0), false);
      assert.equal(await backend.get('k'), undefined);
      assert.equal(await backend.add('k', item('a'), 0), true);
      assert.equal(await backend.add('k', item('b'), 0), false);
      assert.equal(text(await backend.get('k')), 'a');
      assert.equal(await backend.replace('k', item('c'), 0), true);
      assert.equal(text(await backend.get('k')), 'c');
    });

    it('of many concurrent adds of one key exactly one wins', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => backend.add('race', item(`w${i}`), 0)));
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      assert.equal(text(await backend.get('race')), `w${winner}`);
    });

    it('delete reports whether the key existed', async () => {
      await backend.set('d', item('x'), 0);
      assert.equal(await backend.delete('d'), true);
      assert.equal(await backend.delete('d'), false);
      assert.equal(await backend.get('d'), undefined);
    });

    it('incr and decr follow memcached: absent is undefined, decr floors at 0, incr wraps at 2^64', async () => {
      assert.equal(await backend.incr('n', 1n), undefined);
      assert.equal(await backend.get('n'), undefined, 'incr must not create the key');
      await backend.set('n', item('10', 4), 0);
      assert.equal(await backend.incr('n', 5n), 15n);
      assert.equal(await backend.decr('n', 20n), 0n);
      await backend.set('big', item('18446744073709551615'), 0);
      assert.equal(await backend.incr('big', 2n), 1n);
      const after = await backend.get('n');
      assert.equal(after?.value.toString().trim(), '0');
      assert.equal(after?.flags, 4, 'incr keeps the flags');
    });

    it('incr on a non-number is a typed E_NOT_NUMERIC error', async () => {
      await backend.set('word', item('abc'), 0);
      await assert.rejects(backend.incr('word', 1n), { code: 'E_NOT_NUMERIC' });
      await assert.rejects(backend.decr('word', 1n), { code: 'E_NOT_NUMERIC' });
      assert.equal(text(await backend.get('word')), 'abc');
    });

    it('getMany returns only the keys found', async () => {
      const keys = Array.from({ length: 150 }, (_, i) => `many:${i}`);
      await Promise.all(keys.filter((_, i) => i % 3 === 0).map((key) => backend.set(key, item(key), 0)));
      const found = await backend.getMany([...keys, 'many:0']);
      assert.equal(found.size, 50);
      for (const [key, value] of found) assert.equal(text(value), key);
      assert.equal((await backend.getMany([])).size, 0);
    });

    it('setMany stores every entry and deleteMany reports what existed', async () => {
      const entries = Array.from({ length: 60 }, (_, i) => [`sm:${i}`, item(String(i))] as const);
      assert.deepEqual(await backend.setMany(entries, 0), []);
      const found = await backend.getMany(entries.map(([key]) => key));
      assert.equal(found.size, 60);
      const deleted = await backend.deleteMany(['sm:1', 'sm:2', 'nope']);
      assert.deepEqual(deleted.sort(), ['sm:1', 'sm:2']);
      assert.equal(await backend.get('sm:1'), undefined);
    });

    it('gets/cas: the right token stores, a stale one does not, an absent key is undefined', async () => {
      assert.equal(await backend.gets('c'), undefined);
      await backend.set('c', item('v1'), 0);
      const first = await backend.gets('c');
      assert.ok(first);
      assert.equal(await backend.cas('c', item('v2'), first.cas, 0), true);
      assert.equal(await backend.cas('c', item('v3'), first.cas, 0), false);
      assert.equal(text(await backend.get('c')), 'v2');
      await backend.delete('c');
      assert.equal(await backend.cas('c', item('v4'), first.cas, 0), undefined);
    });

    it('two writers racing with the same cas token: exactly one wins', async () => {
      await backend.set('counter', item('0'), 0);
      const token = (await backend.gets('counter'))!.cas;
      const results = await Promise.all([backend.cas('counter', item('A'), token, 0), backend.cas('counter', item('B'), token, 0)]);
      assert.deepEqual([...results].sort(), [false, true]);
      assert.equal(text(await backend.get('counter')), results[0] ? 'A' : 'B');
    });

    it('a TTL expires the key; 0 never expires', async () => {
      await backend.set('short', item('x'), 1);
      await backend.set('forever', item('y'), 0);
      assert.equal(text(await backend.get('short')), 'x');
      await target.advance(2.2);
      assert.equal(await backend.get('short'), undefined);
      assert.equal(text(await backend.get('forever')), 'y');
    });

    it('touch gives a key a new TTL and reports absence', async () => {
      assert.equal(await backend.touch('absent', 10), false);
      await backend.set('t', item('x'), 1);
      assert.equal(await backend.touch('t', 100), true);
      await target.advance(2.2);
      assert.equal(text(await backend.get('t')), 'x');
    });

    it('a TTL over 30 days is kept as a TTL, not read as a date in 1970', async () => {
      const sixtyDays = 60 * 86400;
      assert.equal(await backend.set('long', item('x'), sixtyDays), true);
      // Read as an absolute time, 60 days would be a date in 1970: already expired.
      assert.equal(text(await backend.get('long')), 'x');
      if (target.remainingTtl) {
        // memcached keeps time in whole seconds from its own start, so allow a second either way.
        const left = await target.remainingTtl('long');
        assert.ok(left !== undefined && left > sixtyDays - 10 && left <= sixtyDays + 2, `remaining TTL ${left}`);
        assert.equal(await target.remainingTtl('absent'), undefined);
      }
      if (target.fakeClock) {
        await target.advance(31 * 86400);
        assert.equal(text(await backend.get('long')), 'x');
        await target.advance(30 * 86400);
        assert.equal(await backend.get('long'), undefined);
      }
    });

    it('a value over the size limit is a typed E_VALUE_TOO_LARGE error and stores nothing', async () => {
      const limit = backend.capabilities.maxValueSize;
      const tooBig = { value: Buffer.alloc(limit + 1, 1), flags: 0 };
      await assert.rejects(backend.set('huge', tooBig, 0), { code: 'E_VALUE_TOO_LARGE' });
      assert.equal(await backend.get('huge'), undefined);
      const fits = { value: Buffer.alloc(Math.min(limit, 512 * 1024), 7), flags: 0 };
      assert.equal(await backend.set('fits', fits, 0), true);
      assert.deepEqual((await backend.get('fits'))?.value, fits.value);
    });

    it('flush removes everything', async () => {
      await backend.set('f1', item('1'), 0);
      await backend.set('f2', item('2'), 0);
      await backend.flush();
      assert.equal((await backend.getMany(['f1', 'f2'])).size, 0);
    });
  });
}
