import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { deflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { Cache, MemcachedBackend, type CacheErrorEvent } from '../src/index.js';

/** Writes a value the way any other memcached client could: a raw text-protocol `set`. */
async function rawSet(server: MemcachedServer, key: string, flags: number, value: Buffer | string): Promise<void> {
  const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const socket = connect(server.port, server.host);
  let answer = '';
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      if (answer.endsWith('\r\n')) resolve();
    });
    socket.write(Buffer.concat([Buffer.from(`set ${key} ${flags} 0 ${body.length}\r\n`), body, Buffer.from('\r\n')]));
  });
  socket.destroy();
  assert.equal(answer, 'STORED\r\n');
}

const CHUNKED = 1 << 15;
const manifest = (fields: Record<string, unknown>) => `larder-chunks:${JSON.stringify(fields)}`;
const sound = { version: '0123456789abcdef', count: 1, length: 10, crc: 0 };

describe('foreign values on memcached are bounded before allocation', () => {
  let server: MemcachedServer;
  let cache: Cache;
  let errors: CacheErrorEvent[];
  before(async () => {
    server = await MemcachedServer.start({ memoryMb: 128 });
  });
  after(async () => {
    await server.stop();
  });

  /** A fresh cache per case, so stats().errors counts that case only. */
  async function freshCache(): Promise<Cache> {
    await cache?.close();
    cache = new Cache({ backend: new MemcachedBackend({ servers: server.address, timeout: 5000 }), logger: { warn() {} } });
    errors = [];
    cache.on('error', (event) => errors.push(event));
    return cache;
  }
  after(() => cache?.close());

  async function assertMissWithOneError(key: string, read: (c: Cache) => Promise<unknown>): Promise<void> {
    const c = await freshCache();
    const result = await read(c);
    assert.ok(result === undefined, 'a miss');
    const stats = c.stats();
    assert.equal(stats.errors, 1, 'one counted error');
    assert.equal(stats.misses, 1);
    assert.equal(errors.length, 1);
    assert.equal((errors[0]!.error as { code?: string }).code, 'E_DESERIALIZE');
  }

  for (const count of [1e7, 1e8]) {
    it(`a manifest claiming ${count} chunks is a miss and one error, at once, for get, getMany and gets`, async () => {
      await rawSet(server, `huge-${count}`, CHUNKED | 16, manifest({ ...sound, count }));
      await assertMissWithOneError(`huge-${count}`, (c) => c.get(`huge-${count}`));
      await assertMissWithOneError(`huge-${count}`, async (c) => (await c.getMany([`huge-${count}`]))[`huge-${count}`]);
      await assertMissWithOneError(`huge-${count}`, (c) => c.gets(`huge-${count}`));
    });
  }

  const malformed: Record<string, string> = {
    'length over maxValueSize': manifest({ ...sound, count: 40, length: 40_000_000 }),
    'count not matching length and chunk size': manifest({ ...sound, count: 2 }),
    'zero chunks': manifest({ ...sound, count: 0, length: 0 }),
    'negative length': manifest({ ...sound, count: 1, length: -5 }),
    'a version that is not 16 hex digits': manifest({ ...sound, version: '../../'.repeat(20) }),
    'a crc out of range': manifest({ ...sound, crc: 2 ** 40 }),
    'not JSON': 'larder-chunks:{',
    'no manifest at all': 'hello from python',
  };
  for (const [what, body] of Object.entries(malformed)) {
    it(`a manifest with ${what} is a miss and one error`, async () => {
      await rawSet(server, 'bad-manifest', CHUNKED, body);
      await assertMissWithOneError('bad-manifest', (c) => c.get('bad-manifest'));
    });
  }

  it('a zlib value that inflates past maxValueSize (a zip bomb) is a miss and one error', async () => {
    const bomb = deflateSync(Buffer.alloc(40 * 1024 * 1024, 'a'));
    assert.ok(bomb.length < 1_000_000);
    await rawSet(server, 'bomb', 8 | 16, bomb);
    await assertMissWithOneError('bomb', (c) => c.get('bomb'));
  });

  it('a compressible value larger than maxValueSize is refused at set, never written unreadable', async () => {
    const c = await freshCache();
    await assert.rejects(c.set('too-big-to-read', 'a'.repeat(33 * 1024 * 1024)), { code: 'E_VALUE_TOO_LARGE' });
    assert.equal(await c.set('fits', 'a'.repeat(8 * 1024 * 1024)), true);
    assert.equal((await c.get<string>('fits'))?.length, 8 * 1024 * 1024);
  });

  it('a chunk whose length differs from its manifest is a miss and one error', async () => {
    const c = await freshCache();
    const value = randomBytes(1_500_000);
    assert.equal(await c.set('chunked', value), true);
    const backend = c.backend as MemcachedBackend;
    const { chunkKeys, readManifest } = await import('../src/backends/memcached/chunked-values.js');
    const stored = await rawGet(server, 'chunked');
    const keys = chunkKeys('chunked', readManifest(stored));
    await backend.set(keys[1]!, { value: randomBytes(900_000), flags: 0 }, 0);
    await assertMissWithOneError('chunked', (fresh) => fresh.get('chunked'));
  });
});

/** Reads a raw item with the text protocol (flags and bytes, nothing decoded). */
async function rawGet(server: MemcachedServer, key: string): Promise<{ value: Buffer; flags: number }> {
  const socket = connect(server.port, server.host);
  const parts: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      if (Buffer.concat(parts).subarray(-5).toString() === 'END\r\n') resolve();
    });
    socket.write(`get ${key}\r\n`);
  });
  socket.destroy();
  const all = Buffer.concat(parts);
  const headerEnd = all.indexOf('\r\n');
  const [, , flags, length] = all.subarray(0, headerEnd).toString().split(' ');
  return { value: all.subarray(headerEnd + 2, headerEnd + 2 + Number(length)), flags: Number(flags) };
}
