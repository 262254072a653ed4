import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memcachedCaches } from './memcached-caches.js';
import { Cache, FlagSerializer, Flags, MemoryBackend } from '../src/index.js';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

class Money {
  constructor(readonly cents: number) {}
  toJSON(): { cents: number } {
    return { cents: this.cents };
  }
}

describe('values JSON would give back as another type are refused at set', () => {
  const cache = new Cache({ backend: new MemoryBackend() });

  const refused: Array<[string, unknown, RegExp]> = [
    ['a Date', new Date(0), /Date/],
    ['a Map', new Map([['a', 1]]), /Map/],
    ['a Set', new Set([1]), /Set/],
    ['a RegExp', /x/g, /RegExp/],
    ['an Int32Array', new Int32Array([1, 2]), /Int32Array/],
    ['a Float64Array', new Float64Array([1.5]), /Float64Array/],
    ['a Uint8ClampedArray', new Uint8ClampedArray([1]), /Uint8ClampedArray/],
    ['a class instance without toJSON', new Point(1, 2), /Point/],
    ['an Error', new Error('boom'), /Error/],
    ['a boxed string', new String('s'), /String/],
    ['a Date inside an object', { user: { name: 'ada', born: new Date(0) } }, /Date at \.user\.born/],
    ['a Map inside an array', [1, 2, new Map()], /Map at \[2\]/],
    ['a Buffer inside an object', { avatar: Buffer.from('png') }, /Buffer at \.avatar/],
    ['a Uint8Array inside an object', { bytes: new Uint8Array([1]) }, /Uint8Array at \.bytes/],
    ['NaN inside an object', { ratio: Number.NaN }, /NaN at \.ratio/],
    ['Infinity inside an array', [Infinity], /Infinity at \[0\]/],
    ['undefined inside an array', [1, undefined], /undefined at \[1\]/],
    ['a hole in an array', [1, , 3], /undefined at \[1\]/],
    ['a function inside an object', { run: () => 1 }, /function at \.run/],
    ['a symbol inside an object', { tag: Symbol('t') }, /symbol at \.tag/],
    ['an odd property name', { 'a b': new Set() }, /Set at \["a b"\]/],
  ];
  for (const [what, value, message] of refused) {
    it(`${what}: E_SERIALIZE naming the type`, async () => {
      await assert.rejects(cache.set('k', value), { code: 'E_SERIALIZE', message });
      await assert.rejects(cache.setMany({ k: value }), { code: 'E_SERIALIZE' });
      await assert.rejects(cache.getOrSet('computed', () => value), { code: 'E_SERIALIZE' });
    });
  }

  it('values that round-trip with their type are stored as before', async () => {
    const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
    const kept: Array<[unknown, unknown]> = [
      [{ a: 1, nested: { list: [1, 'two', null, true, 2.5] } }, { a: 1, nested: { list: [1, 'two', null, true, 2.5] } }],
      [{ a: 1, none: undefined }, { a: 1 }],
      [[[], {}, ''], [[], {}, '']],
      [nullProto, { a: 1 }],
      [Buffer.from('bytes'), Buffer.from('bytes')],
      [new Uint8Array([1, 2]), new Uint8Array([1, 2])],
      ['text', 'text'],
      [7, 7],
      [1.5, 1.5],
      [null, null],
      [false, false],
    ];
    for (const [value, expected] of kept) {
      assert.equal(await cache.set('kept', value), true);
      assert.deepEqual(await cache.get('kept'), expected);
    }
  });

  it('an object whose class defines toJSON is stored as its JSON form (its author chose it)', async () => {
    assert.equal(await cache.set('money', { price: new Money(250) }), true);
    assert.deepEqual(await cache.get('money'), { price: { cents: 250 } });
  });

  it('circular values are still E_SERIALIZE', async () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    await assert.rejects(cache.set('loop', loop), { code: 'E_SERIALIZE' });
  });

  it('the serializer on its own refuses them too', () => {
    assert.throws(() => new FlagSerializer().encode({ at: new Date() }), { code: 'E_SERIALIZE', name: 'SerializationError' });
  });
});

describe('values JSON has no text for, undefined members, and -0', () => {
  const cache = new Cache({ backend: new MemoryBackend() });

  it('a value whose toJSON gives undefined, a function or a symbol is E_SERIALIZE, not a raw TypeError', async () => {
    for (const value of [{ toJSON: () => undefined }, { toJSON: () => () => 1 }, { toJSON: () => Symbol('s') }, new (class Nothing { toJSON(): undefined { return undefined; } })()]) {
      await assert.rejects(cache.set('k', value), { code: 'E_SERIALIZE', name: 'SerializationError' });
      await assert.rejects(cache.write('k', value), { code: 'E_SERIALIZE' });
      await assert.rejects(cache.setMany({ k: value }), { code: 'E_SERIALIZE' });
      await assert.rejects(cache.add('fresh-key', value), { code: 'E_SERIALIZE' });
      await assert.rejects(cache.getOrSet('computed', () => value), { code: 'E_SERIALIZE' });
      assert.throws(() => new FlagSerializer().encode(value), { code: 'E_SERIALIZE' });
    }
  });

  it('a toJSON that throws is E_SERIALIZE with the thrown error as its cause', async () => {
    const boom = new Error('boom');
    await assert.rejects(cache.set('k', { toJSON: () => { throw boom; } }), (error: Error & { code?: string }) => error.code === 'E_SERIALIZE' && error.cause === boom);
  });

  it('an object member holding undefined is left out, as JSON does: it reads back undefined either way', async () => {
    assert.equal(await cache.set('k', { a: undefined }), true);
    const back = (await cache.get('k')) as Record<string, unknown>;
    assert.deepEqual(back, {});
    assert.equal(back.a, undefined);
    assert.equal('a' in back, false, 'the member itself is gone');
    assert.deepEqual(await cache.getOrSet('nested-undefined', () => ({ user: { name: 'ada', nick: undefined } })), { user: { name: 'ada', nick: undefined } });
    assert.deepEqual(await cache.get('nested-undefined'), { user: { name: 'ada' } });
    await assert.rejects(cache.set('k', undefined), { code: 'E_SERIALIZE' }, 'undefined itself is refused');
    await assert.rejects(cache.set('k', [undefined]), { code: 'E_SERIALIZE' }, 'and so is undefined in an array (JSON would make it null)');
  });

  it('-0 reads back as 0 from the memory backend, as from memcached (integers are decimal text, and Python has no -0)', async () => {
    for (const [value, expected] of [[-0, 0], [{ n: -0 }, { n: 0 }], [[-0], [0]]] as const) {
      await cache.set('zero', value);
      const back = await cache.get('zero');
      assert.deepEqual(back, expected);
      if (typeof back === 'number') assert.ok(Object.is(back, 0), `got ${Object.is(back, -0) ? '-0' : String(back)}`);
    }
    await cache.set('zero', -0, { ttl: 60, grace: 60 });
    assert.ok(Object.is(await cache.get('zero'), 0), 'in a grace envelope too');
    await cache.namespace('ns').set('zero', -0);
    assert.ok(Object.is(await cache.namespace('ns').get('zero'), 0), 'and in a namespace');
    await cache.getOrSet('zero-computed', () => -0);
    assert.ok(Object.is(await cache.getOrSet('zero-computed', () => 1), 0), 'a getOrSet hit gives the value as stored');
  });
});

describe('-0 on real memcached', () => {
  const { open } = memcachedCaches('values');

  it('reads back as 0, as from the memory backend, stored as the decimal text 0 under flag 4', async () => {
    const cache = open();
    await cache.set('zero', -0);
    assert.ok(Object.is(await cache.get('zero'), 0));
    const item = await cache.backend.get('zero');
    assert.deepEqual({ flags: item?.flags, text: item?.value.toString() }, { flags: Flags.LONG, text: '0' });
    await cache.set('zero', { n: -0 });
    assert.deepEqual(await cache.get('zero'), { n: 0 });
  });
});
