import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache, Flags, FlagSerializer, MemoryBackend } from '../src/index.js';
import { itemByteLength } from '../src/text-item.js';

// Text, integers and JSON are encoded lazily (the memory backend never needs their bytes); what
// any backend reads from `value` must still be exactly the bytes an eager encoding gave.
describe('lazily encoded items', () => {
  const serializer = new FlagSerializer({ compressThreshold: 0 });
  const texts = ['', 'plain ascii', 'ünïcödé', '😀 astral', 'lone \ud800 surrogate', 'x'.repeat(5000)];

  it('give the UTF-8 bytes of text, the same Buffer on every read, and count them without encoding', () => {
    for (const text of texts) {
      const item = serializer.encode(text);
      const expected = Buffer.from(text, 'utf8');
      assert.equal(itemByteLength(item), expected.length, JSON.stringify(text.slice(0, 20)));
      assert.deepEqual(item.value, expected);
      assert.equal(item.value, item.value);
      assert.equal(itemByteLength(item), expected.length);
      assert.equal(item.flags, Flags.TEXT);
    }
  });

  it('give the bytes of integers and JSON as before', () => {
    const cases: Array<[unknown, string, number]> = [
      [42, '42', Flags.LONG],
      [-7, '-7', Flags.LONG],
      [1.5, '1.5', Flags.JSON],
      [true, 'true', Flags.JSON],
      [null, 'null', Flags.JSON],
      [{ a: 'é', b: [1, 2] }, '{"a":"é","b":[1,2]}', Flags.JSON],
    ];
    for (const [value, text, flags] of cases) {
      const item = serializer.encode(value);
      assert.deepEqual(item.value, Buffer.from(text, 'utf8'));
      assert.equal(itemByteLength(item), Buffer.byteLength(text));
      assert.equal(item.flags, flags);
      assert.deepEqual(new FlagSerializer().decode('k', { value: Buffer.from(item.value), flags: item.flags }), value);
    }
  });

  it('are compressed by their byte length, not their length in characters', () => {
    const small = new FlagSerializer({ compressThreshold: 100 });
    const multibyte = 'é'.repeat(60); // 60 characters, 120 bytes
    const packed = small.encode(multibyte);
    assert.equal(packed.flags, Flags.TEXT | Flags.ZLIB);
    assert.equal(small.decode('k', { value: Buffer.from(packed.value), flags: packed.flags }), multibyte);
    assert.equal(small.encode('a'.repeat(40)).flags, Flags.TEXT);
    assert.equal(small.encode('a'.repeat(100)).flags, Flags.TEXT);
    assert.equal(small.encode('a'.repeat(101)).flags, Flags.TEXT | Flags.ZLIB);
  });

  it('count against the memory backend maxValueSize in bytes', async () => {
    const cache = new Cache({ backend: new MemoryBackend({ maxValueSize: 10 }) });
    assert.equal(await cache.set('fits', 'é'.repeat(5)), true);
    await assert.rejects(cache.set('over', 'é'.repeat(6)), { code: 'E_VALUE_TOO_LARGE' });
    await assert.rejects(cache.set('astral', '😀😀😀'), { code: 'E_VALUE_TOO_LARGE' });
    assert.equal(await cache.get('fits'), 'é'.repeat(5));
    assert.equal(await cache.get('over'), undefined);
    await cache.close();
  });

  it('count against the memory backend maxBytes in bytes', async () => {
    // Each entry costs its value bytes + key length + 64; 4 entries of 300 bytes fit in 1,500, 5 do not.
    const backend = new MemoryBackend({ maxBytes: 1500 });
    const cache = new Cache({ backend });
    for (let i = 0; i < 5; i++) await cache.set(`k${i}`, 'é'.repeat(150));
    const kept = await backend.getMany(['k0', 'k1', 'k2', 'k3', 'k4']);
    assert.deepEqual([...kept.keys()], ['k1', 'k2', 'k3', 'k4']);
    await cache.close();
  });

  it('hand back the value they were encoded from on the memory backend, and a fresh copy of objects', async () => {
    const cache = new Cache({ backend: new MemoryBackend() });
    await cache.set('n', 12);
    assert.equal(await cache.get('n'), 12);
    const object = { list: [1] };
    await cache.set('o', object);
    object.list.push(2);
    const read = await cache.get<{ list: number[] }>('o');
    assert.deepEqual(read, { list: [1] });
    read!.list.push(3);
    assert.deepEqual(await cache.get('o'), { list: [1] });
    await cache.close();
  });

  it('keep check-and-set tokens bigints that change on every write', async () => {
    const backend = new MemoryBackend();
    const item = new FlagSerializer().encode('v1');
    await backend.set('k', item, 0);
    const first = await backend.gets('k');
    assert.equal(typeof first?.cas, 'bigint');
    assert.equal(await backend.cas('k', new FlagSerializer().encode('v2'), first!.cas, 0), true);
    const second = await backend.gets('k');
    assert.notEqual(second!.cas, first!.cas);
    assert.equal(await backend.cas('k', item, first!.cas, 0), false);
    assert.equal(second!.value.toString(), 'v2');
  });
});
