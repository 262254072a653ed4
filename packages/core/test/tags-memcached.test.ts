import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { runPython } from '@larder/testing';
import { memcachedCaches } from './memcached-caches.js';
import { Cache, DecodeMemo, Flags, MemcachedBackend, type StoredItem } from '../src/index.js';
import { STAMP_ENVELOPE_VERSION } from '../src/envelopes/stamp-envelope.js';

const quiet = { warn() {} };

/** A memcached backend that counts the reads it is asked for (each is one round trip). */
class CountingBackend extends MemcachedBackend {
  readonly reads: string[] = [];

  override get(key: string): Promise<StoredItem | undefined> {
    this.reads.push('get');
    return super.get(key);
  }

  override getMany(keys: readonly string[]): Promise<Map<string, StoredItem>> {
    this.reads.push(`getMany(${keys.length})`);
    return super.getMany(keys);
  }

  /** The reads since the last call. */
  take(): string[] {
    return this.reads.splice(0);
  }
}

/** A memcached backend whose next getMany answer is held until released: memcached answered it, this process has not seen it yet. */
class HeldGetMany extends MemcachedBackend {
  #hold: { reached: () => void; released: Promise<void> } | undefined;
  #release = () => {};

  /** Holds the next getMany's answer; resolves once it has arrived. */
  holdNext(): Promise<void> {
    return new Promise((reached) => {
      this.#hold = { reached, released: new Promise((resolve) => (this.#release = resolve)) };
    });
  }

  release(): void {
    this.#release();
  }

  override async getMany(keys: readonly string[]): Promise<Map<string, StoredItem>> {
    const found = await super.getMany(keys);
    const hold = this.#hold;
    if (hold === undefined) return found;
    this.#hold = undefined;
    hold.reached();
    await hold.released;
    return found;
  }
}

/** The stamp keys of a stored envelope (version 1), in order. */
function stampKeys(item: StoredItem): string[] {
  const bytes = item.value;
  const keys: string[] = [];
  let at = 2;
  for (let i = 0; i < bytes[1]!; i++) {
    const length = bytes[at]!;
    keys.push(bytes.toString('latin1', at + 1, at + 1 + length));
    at += 1 + length;
    at += 1 + bytes[at]!;
  }
  return keys;
}

describe('tags on real memcached (one process, several caches)', () => {
  const { open, fresh, server, track } = memcachedCaches('tags');

  it('round trips: a reader fetches the counters of a tagged value with it (one getMany) once it has seen them; untagged reads are one get', async () => {
    const writer = open();
    const backend = new CountingBackend({ servers: server().address });
    const reader = track(new Cache({ backend, logger: quiet }));
    const [key, other, plain] = [fresh(), fresh(), fresh()];
    await writer.set(key, 'v', { tags: ['rt:a', 'rt:b'] });
    await writer.set(other, 'w', { tags: ['rt:a'] });
    await writer.set(plain, 'p');
    assert.equal(await reader.get(key), 'v');
    assert.deepEqual(backend.take(), ['get', 'getMany(2)'], 'first read: the value names its counters, read next');
    assert.equal(await reader.get(key), 'v');
    assert.deepEqual(backend.take(), ['getMany(3)'], 'then value and counters in one round trip');
    assert.equal((await reader.flights(new DecodeMemo((value) => value)).read(key))?.value, 'v');
    assert.deepEqual(backend.take(), ['getMany(3)']);
    assert.equal(await reader.get(plain), 'p');
    assert.deepEqual(backend.take(), ['get']);
    await reader.get(other);
    backend.take();
    assert.deepEqual(await reader.getMany([key, other, plain]), { [key]: 'v', [other]: 'w', [plain]: 'p' });
    assert.deepEqual(backend.take(), ['getMany(5)'], 'getMany: the values and their counters, each once');
    await reader.set(key, 'mine', { tags: ['rt:a', 'rt:c'] });
    backend.take();
    assert.equal(await reader.get(key), 'mine');
    assert.deepEqual(backend.take(), ['getMany(3)'], 'this process’s own write tells it the counters');
    await writer.invalidateTags(['rt:c']);
    assert.equal(await reader.get(key), undefined);
    assert.deepEqual(backend.take(), ['getMany(3)'], 'an invalidation is seen in that same round trip');
  });

  it('a counter read answered after this process’s own invalidateTags never undoes it, within one millisecond too', async (t) => {
    // One frozen millisecond: only the order of events can tell the late answer from the bump.
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    t.after(() => mock.timers.reset());
    const writer = open();
    const backend = new HeldGetMany({ servers: server().address });
    const near = track(new Cache({ backend, near: { ttl: '10m', checkInterval: '10m' }, logger: quiet }));
    const [key, tag] = [fresh(), fresh()];
    await writer.set(key, 'old', { tags: [tag] });
    const arrived = backend.holdNext();
    const reading = near.get(key); // the value names its counter; the counter's read is answered, then held
    await arrived;
    assert.equal(await near.invalidateTags([tag]), true);
    backend.release();
    assert.equal(await reading, undefined, 'the version it read is older than the bump this process made');
    assert.equal(await near.get(key), undefined, 'and it was not trusted afterwards');
    await near.set(key, 'new', { tags: [tag] });
    assert.equal(await near.get(key), 'new');
  });

  it('getOrSet while another cache invalidates the tag: the value computed is returned, and a miss afterwards everywhere', async () => {
    const here = open();
    const there = open();
    const key = fresh();
    let runs = 0;
    const value = await here.getOrSet(key, async () => {
      runs++;
      assert.equal(await there.invalidateTags(['race:1']), true); // the data changed while this was computed
      return 'computed from old data';
    }, { tags: ['race:1'] });
    assert.equal(value, 'computed from old data');
    assert.equal(await here.get(key), undefined);
    assert.equal(await there.get(key), undefined);
    assert.equal(await here.getOrSet(key, () => `run ${++runs}`, { tags: ['race:1'] }), 'run 2');
    assert.equal(await there.getOrSet(key, () => `run ${++runs}`, { tags: ['race:1'] }), 'run 2');
  });

  it('inside a namespace: the namespace’s stamp first, then the tags; clear() and invalidateTags both make the value a miss', async () => {
    const cache = open({ keyPrefix: 'p/' });
    const other = open({ keyPrefix: 'p/' });
    const raw = track(new Cache({ backend: new MemcachedBackend({ servers: server().address }), logger: quiet })).backend;
    const name = fresh();
    const ns = cache.namespace(name);
    assert.equal(await ns.set('7', 'seven', { ttl: 60, tags: ['ns-product:7'] }), true);
    const item = (await raw.get(`p/${name}:7`))!;
    assert.equal(item.flags, Flags.STAMPED);
    assert.equal(item.value[0], STAMP_ENVELOPE_VERSION);
    assert.deepEqual(stampKeys(item), [`p/larder-ns:${name}`, 'p/larder-tag:ns-product:7']);
    assert.equal(await other.namespace(name).get('7'), 'seven');
    assert.equal(await other.get(ns.key('7')), 'seven', 'a plain read checks both stamps');
    assert.equal(await other.invalidateTags(['ns-product:7']), true);
    assert.equal(await ns.get('7'), undefined);
    assert.equal(await cache.get(ns.key('7')), undefined);
    await ns.set('7', 'seven again', { tags: ['ns-product:7'] });
    assert.equal(await other.namespace(name).get('7'), 'seven again');
    assert.equal(await other.namespace(name).clear(), true);
    assert.equal(await ns.get('7'), undefined);
    assert.equal(await cache.get(ns.key('7')), undefined);
    let runs = 0;
    assert.equal(await ns.getOrSet('list', () => `run ${++runs}`, { tags: ['ns-list'] }), 'run 1');
    assert.equal(await ns.getOrSet('list', () => `run ${++runs}`, { tags: ['ns-list'] }), 'run 1');
    await other.invalidateTags(['ns-list']);
    assert.equal(await ns.getOrSet('list', () => `run ${++runs}`, { tags: ['ns-list'] }), 'run 2');
    await other.namespace(name).clear();
    assert.equal(await ns.getOrSet('list', () => `run ${++runs}`, { tags: ['ns-list'] }), 'run 3');
  });

  it('with memcached down: invalidateTags is false (throws with ignoreErrors false), a tagged set is false, getOrSet computes without storing', async () => {
    const down = track(new Cache({ backend: new MemcachedBackend({ servers: '127.0.0.1:1', timeout: 200 }), logger: quiet }));
    assert.equal(await down.invalidateTags(['t']), false);
    assert.equal(await down.set('k', 'v', { tags: ['t'] }), false);
    assert.equal((await down.write('k', 'v', { tags: ['t'] })).status, 'failed');
    assert.equal(await down.get('k'), undefined);
    let runs = 0;
    assert.equal(await down.getOrSet('k', () => `run ${++runs}`, { tags: ['t'] }), 'run 1');
    assert.equal(await down.getOrSet('k', () => `run ${++runs}`, { tags: ['t'] }), 'run 2');
    assert.ok(down.stats().errors >= 5);
    const strict = track(new Cache({ backend: new MemcachedBackend({ servers: '127.0.0.1:1', timeout: 200 }), logger: quiet, ignoreErrors: false }));
    await assert.rejects(strict.invalidateTags(['t']), { code: 'E_CONNECTION' });
    await assert.rejects(strict.set('k', 'v', { tags: ['t'] }), { code: 'E_CONNECTION' });
  });

  it('a tag counter deleted by hand (as an eviction would): its values are misses, then new writes work; someone else’s value there is replaced', async () => {
    const cache = open();
    const raw = new MemcachedBackend({ servers: server().address });
    const tag = fresh();
    const [k1, k2] = [fresh(), fresh()];
    await cache.set(k1, 'one', { tags: [tag] });
    await cache.getOrSet(k2, () => 'two', { tags: [tag] });
    assert.equal(await cache.get(k2), 'two');
    assert.equal(await raw.delete(`larder-tag:${tag}`), true);
    assert.equal(await cache.get(k1), undefined);
    assert.equal(await cache.getOrSet(k2, () => 'two again', { tags: [tag] }), 'two again', 'the write made the counter afresh');
    assert.equal(await cache.get(k2), 'two again');
    await cache.set(k1, 'one again', { tags: [tag] });
    assert.equal(await cache.get(k1), 'one again');
    await raw.set(`larder-tag:${tag}`, { value: Buffer.from('not a number'), flags: 0 }, 0);
    assert.equal(await cache.get(k1), undefined, 'someone else’s value at the counter key matches no stamp');
    assert.equal(await cache.invalidateTags([tag]), true);
    await cache.set(k1, 'one more', { tags: [tag] });
    assert.equal(await cache.get(k1), 'one more');
    assert.equal(await raw.delete(`larder-tag:${fresh()}`), false, 'invalidating absent tags made no counters');
    await raw.close();
  });

  it('a tagged value is a documented envelope that pylibmc reads as bytes without crashing', async () => {
    const cache = open();
    const key = fresh();
    await cache.set(key, 'hello', { tags: ['py:1', 'py:2'] });
    const python = runPython<{ type: string; hello: boolean; counter: string }>(
      `
import json, sys, pylibmc
req = json.load(sys.stdin)
client = pylibmc.Client([req['server']], binary=True)
v = client.get(req['key'])
print(json.dumps({'type': type(v).__name__, 'hello': v.endswith(b'hello'), 'counter': str(client.get('larder-tag:py:1'))}))
`,
      { server: server().address, key },
    );
    assert.deepEqual({ type: python.type, hello: python.hello }, { type: 'bytes', hello: true });
    assert.match(python.counter, /^(b')?\d+'?$/, 'the counter is a decimal memcached counter');
  });

  it('near cache: tagged entries are served near while their counters are trusted; this process’s own invalidation drops them at once', async () => {
    const near = open({ near: { ttl: '10m', checkInterval: '10m' } });
    const memo = new DecodeMemo((value) => `page ${String(value)}`);
    const [key, other] = [fresh(), fresh()];
    await near.set(key, 'A', { tags: ['near-own:1'] });
    await near.set(other, 'B', { tags: ['near-own:2'] });
    assert.equal(await near.get(key), 'A');
    assert.equal(await near.get(other), 'B');
    assert.equal(await near.get(key), 'A');
    assert.equal(near.stats().nearHits, 1);
    assert.equal(await near.readDecoded(key, memo), 'page A');
    assert.equal(near.flights(memo).peek(key), 'page A');
    assert.equal(near.stats().near?.items, 2);
    assert.equal(await near.invalidateTags(['near-own:1']), true);
    assert.equal(near.stats().near?.items, 1, 'the entry carrying the tag is gone at once, the other tag’s is left');
    assert.equal(near.flights(memo).peek(key), undefined);
    assert.equal(await near.get(key), undefined);
    assert.equal(await near.get(other), 'B');
  });
});
