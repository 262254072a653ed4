import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import memjs from 'memjs';
import { MemcachedServer } from '@larder/testing';
import { Cache, MemcachedBackend } from '../src/index.js';
import { chunkKeys, readManifest } from '../src/backends/memcached/chunked-values.js';

describe('values larger than memcached item limit', () => {
  const servers: MemcachedServer[] = [];
  let cache: Cache;
  before(async () => {
    servers.push(...(await Promise.all([MemcachedServer.start({ memoryMb: 128 }), MemcachedServer.start({ memoryMb: 128 })])));
    cache = new Cache({ backend: new MemcachedBackend({ servers: servers.map((s) => s.address), timeout: 5000 }), compressThreshold: 0, logger: { warn() {} } });
  });
  after(async () => {
    await cache.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  /** The chunk keys of a stored value, read from its manifest on whichever node holds it. */
  async function chunksOf(key: string): Promise<string[]> {
    for (const server of servers) {
      const single = memjs.Client.create(server.address, { logger: { log() {} } });
      const { value, flags } = await single.get(key);
      single.close();
      if (value) return chunkKeys(key, readManifest({ value, flags: Number(flags?.readUInt32BE(0) ?? 0) })!);
    }
    return [];
  }

  it('a 5 MB value round-trips through chunks, and so does one of exactly the chunk size', async () => {
    const big = randomBytes(5 * 1024 * 1024);
    assert.equal(await cache.set('big', big), true);
    assert.deepEqual(await cache.get('big'), big);
    assert.equal((await chunksOf('big')).length, 6);
    const edge = randomBytes(1_000_000);
    await cache.set('edge', edge);
    assert.deepEqual(await cache.get('edge'), edge);
    const { big: many } = await cache.getMany(['big']);
    assert.deepEqual(many, big);
  });

  it('a lost chunk gives a miss, never a partial value', async () => {
    await cache.set('lossy', randomBytes(3_000_000));
    const chunks = await chunksOf('lossy');
    assert.equal(chunks.length, 3);
    assert.equal(await cache.backend.delete(chunks[1]!), true);
    assert.equal(await cache.get('lossy'), undefined);
  });

  it('a foreign or stale chunk gives a miss, never a corrupted value', async () => {
    await cache.set('stale', randomBytes(2_500_000));
    const chunks = await chunksOf('stale');
    const first = await cache.backend.get(chunks[0]!);
    await cache.backend.set(chunks[0]!, { value: Buffer.from(first!.value).fill(0, 0, 10), flags: 0 }, 0);
    assert.equal(await cache.get('stale'), undefined);
  });

  it('a newer version of a value never mixes with chunks of the older one', async () => {
    const v1 = randomBytes(2_000_001);
    const v2 = randomBytes(2_000_001);
    await cache.set('versioned', v1);
    const oldChunks = await chunksOf('versioned');
    await cache.set('versioned', v2);
    const newChunks = await chunksOf('versioned');
    assert.equal(oldChunks.filter((k) => newChunks.includes(k)).length, 0);
    assert.deepEqual(await cache.get('versioned'), v2);
  });

  it('over maxValueSize is a typed E_VALUE_TOO_LARGE error', async () => {
    const small = new Cache({ backend: new MemcachedBackend({ servers: servers[0]!.address, maxValueSize: 4_000_000 }), logger: { warn() {} } });
    await assert.rejects(small.set('too-big', randomBytes(4_000_001)), { code: 'E_VALUE_TOO_LARGE', message: /4000001 bytes.*4000000/ });
    await small.close();
  });

  it('a chunk size above the server item limit: memcached refuses and the error is E_VALUE_TOO_LARGE', async () => {
    const server = await MemcachedServer.start({ maxItemSize: '1m' });
    const wrong = new Cache({ backend: new MemcachedBackend({ servers: server.address, chunkSize: 2_000_000 }), logger: { warn() {} } });
    await assert.rejects(wrong.set('x', randomBytes(1_500_000)), { code: 'E_VALUE_TOO_LARGE' });
    await wrong.close();
    await server.stop();
  });

  it('compressed text above the threshold is stored with flag bit 8', async () => {
    const compressing = new Cache({ backend: new MemcachedBackend({ servers: servers[0]!.address }), compressThreshold: 1000, logger: { warn() {} } });
    const text = 'the same words again '.repeat(200_000);
    await compressing.set('zipped', text);
    assert.equal(await compressing.get('zipped'), text);
    const item = await compressing.backend.get('zipped');
    assert.equal(item!.flags & 8, 8);
    await compressing.close();
  });
});
