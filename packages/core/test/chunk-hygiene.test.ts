import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import memjs from 'memjs';
import { MemcachedServer, metaTtl, startDelayProxy } from '@larder/testing';
import { MemcachedBackend } from '../src/backends/memcached/memcached-backend.js';
import { chunkKeys, readManifest } from '../src/backends/memcached/chunked-values.js';
import type { StoredItem } from '../src/types/backend.js';

const CHUNK = 4096;

function item(bytes: number): StoredItem {
  return { value: randomBytes(bytes), flags: 0 };
}

describe('chunked values: old chunks do not outlive their value', () => {
  const servers: MemcachedServer[] = [];
  let backend: MemcachedBackend;
  /** A second client on the same servers, to read chunk keys directly. */
  let direct: MemcachedBackend;
  before(async () => {
    servers.push(...(await Promise.all([MemcachedServer.start(), MemcachedServer.start()])));
    const options = { servers: servers.map((s) => s.address), chunkSize: CHUNK, timeout: 5000 };
    backend = new MemcachedBackend(options);
    direct = new MemcachedBackend(options);
  });
  after(async () => {
    await backend.close();
    await direct.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  /** The chunk keys the manifest under `key` names (read raw: the manifest itself). */
  async function chunksOf(key: string): Promise<string[]> {
    const raw = await rawGet(key);
    assert.ok(raw, `no manifest under ${key}`);
    return chunkKeys(key, readManifest(raw));
  }

  /** Reads a key on whichever server holds it with plain memjs: the manifest, not the value. */
  async function rawGet(key: string): Promise<StoredItem | undefined> {
    for (const server of servers) {
      const one = memjs.Client.create(server.address, { logger: { log() {} } });
      const { value, flags } = await one.get(key);
      one.close();
      if (value) return { value, flags: Number(flags?.readUInt32BE(0) ?? 0) };
    }
    return undefined;
  }

  /** Items stored on all servers, as memcached counts them. */
  async function itemCount(): Promise<number> {
    let total = 0;
    for (const server of servers) {
      const one = memjs.Client.create(server.address, { logger: { log() {} } });
      const stats = await new Promise<Record<string, string>>((resolve, reject) => one.stats((error, _server, found) => (error ? reject(error) : resolve(found ?? {}))));
      one.close();
      total += Number(stats.curr_items);
    }
    return total;
  }

  async function present(keys: readonly string[]): Promise<string[]> {
    return [...(await direct.getMany(keys)).keys()];
  }

  it('overwriting a chunked value with another chunked value removes the old chunks', async () => {
    await backend.set('over-big', item(5 * CHUNK + 1), 0);
    const old = await chunksOf('over-big');
    assert.equal((await present(old)).length, 6);
    const next = item(3 * CHUNK);
    assert.equal(await backend.set('over-big', next, 0), true);
    assert.deepEqual(await present(old), []);
    assert.deepEqual((await backend.get('over-big'))?.value, next.value);
  });

  it('overwriting a chunked value with a small one removes the old chunks', async () => {
    await backend.set('over-small', item(4 * CHUNK), 0);
    const old = await chunksOf('over-small');
    assert.equal(await backend.set('over-small', { value: Buffer.from('tiny'), flags: 0 }, 0), true);
    assert.deepEqual(await present(old), []);
    assert.equal((await backend.get('over-small'))?.value.toString(), 'tiny');
  });

  it('a process that read a chunked value another wrote removes its chunks when it overwrites it small', async () => {
    await backend.set('shared', item(2 * CHUNK + 3), 0);
    const old = await chunksOf('shared');
    assert.ok(await direct.get('shared'));
    assert.equal(await direct.set('shared', item(10), 0), true);
    assert.deepEqual(await present(old), []);
  });

  it('replace and cas over a chunked value remove the old chunks; a refused cas keeps them', async () => {
    await backend.set('replaced', item(2 * CHUNK + 5), 0);
    const old = await chunksOf('replaced');
    assert.equal(await backend.replace('replaced', item(10), 0), true);
    assert.deepEqual(await present(old), []);

    await backend.set('cased', item(2 * CHUNK + 5), 0);
    const casOld = await chunksOf('cased');
    const { cas } = (await backend.gets('cased'))!;
    assert.equal(await backend.cas('cased', item(10), cas + 1n, 0), false);
    assert.equal((await present(casOld)).length, 3, 'a refused cas leaves the live value whole');
    assert.equal(await backend.cas('cased', item(10), cas, 0), true);
    assert.deepEqual(await present(casOld), []);
  });

  it('deleting a chunked value removes its chunks', async () => {
    await backend.set('deleted', item(3 * CHUNK + 7), 0);
    const old = await chunksOf('deleted');
    assert.equal(await backend.delete('deleted'), true);
    assert.deepEqual(await present(old), []);
    assert.equal(await backend.get('deleted'), undefined);
    assert.deepEqual(await backend.deleteMany(['deleted']), []);
  });

  it('touch gives every chunk the new TTL', async () => {
    await backend.set('touched', item(4 * CHUNK + 1), 60);
    const chunks = await chunksOf('touched');
    assert.equal(await backend.touch('touched', 5000), true);
    for (const key of [ 'touched', ...chunks ]) {
      const ttls = await Promise.all(servers.map((s) => metaTtl(s.host, s.port, key)));
      const ttl = ttls.find((t) => t !== undefined);
      assert.ok(ttl !== undefined && ttl > 4000, `${key === 'touched' ? 'manifest' : 'a chunk'} has TTL ${String(ttl)}, expected about 5000`);
    }
    assert.equal(await backend.touch('touched', 0), true);
    for (const key of chunks) {
      const ttls = await Promise.all(servers.map((s) => metaTtl(s.host, s.port, key)));
      assert.equal(ttls.find((t) => t !== undefined), -1);
    }
  });

  it('touch of a chunked value whose chunk was evicted reports it gone', async () => {
    await backend.set('touch-lossy', item(2 * CHUNK + 1), 60);
    const chunks = await chunksOf('touch-lossy');
    await direct.delete(chunks[1]!);
    assert.equal(await backend.touch('touch-lossy', 100), false);
    assert.equal(await backend.get('touch-lossy'), undefined);
  });

  it('a refused chunked add or cas removes the chunks it wrote', async () => {
    await backend.set('taken', item(10), 0);
    const before = await itemCount();
    assert.equal(await backend.add('taken', item(3 * CHUNK), 0), false);
    const { cas } = (await backend.gets('taken'))!;
    assert.equal(await backend.cas('taken', item(3 * CHUNK), cas + 1n, 0), false);
    assert.equal(await backend.replace('never-there', item(3 * CHUNK), 0), false);
    assert.equal(await itemCount(), before);
  });

  it('touch of a small value and of an absent key behave as before', async () => {
    await backend.set('touch-small', { value: Buffer.from('x'), flags: 3 }, 60);
    assert.equal(await backend.touch('touch-small', 100), true);
    assert.equal(await backend.touch('touch-absent', 100), false);
  });
});

it('touch of a chunked value settles within timeout: the chunk touches get only what is left', async (t) => {
  const server = await MemcachedServer.start();
  t.after(() => server.stop());
  const writer = new MemcachedBackend({ servers: server.address, chunkSize: CHUNK });
  t.after(() => writer.close());
  assert.equal(await writer.set('big', item(3 * CHUNK), 0), true);
  const raw = memjs.Client.create(server.address, { logger: { log() {} } });
  const { value, flags } = await raw.get('big');
  raw.close();
  const [firstChunk] = chunkKeys('big', readManifest({ value: value!, flags: flags!.readUInt32BE(0) }));
  // Two proxies in a row: one holds back the get-and-touch of "big", the other the touch of its
  // first chunk, each by 60 % of the timeout: in time alone, too late together.
  const inner = await startDelayProxy(server, firstChunk!, 400);
  t.after(() => inner.close());
  const [innerHost, innerPort] = inner.address.split(':') as [string, string];
  const outer = await startDelayProxy({ host: innerHost, port: Number(innerPort) }, 'big', 400);
  t.after(() => outer.close());
  const backend = new MemcachedBackend({ servers: outer.address, chunkSize: CHUNK, timeout: 650, failureLimit: 100 });
  t.after(() => backend.close());
  const outcome = await backend.touch('big', 100).then(String, (error: { code?: string }) => error.code);
  assert.equal(outcome, 'E_TIMEOUT');
});

describe('chunked values under eviction pressure', () => {
  let server: MemcachedServer;
  let backend: MemcachedBackend;
  before(async () => {
    server = await MemcachedServer.start({ memoryMb: 8 });
    backend = new MemcachedBackend({ servers: server.address, chunkSize: 64 * 1024, timeout: 5000 });
  });
  after(async () => {
    await backend.close();
    await server.stop();
  });

  it('every read is the exact value last written or a miss, never a corrupted one', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `pressure-${i}`);
    const latest = new Map<string, Buffer>();
    let hits = 0;
    let misses = 0;
    for (let round = 0; round < 4; round++) {
      // 60 values of 150-450 KB per round: several times what an 8 MB memcached holds.
      for (let at = 0; at < keys.length; at += 10) {
        await Promise.all(
          keys.slice(at, at + 10).map(async (key, i) => {
            const value = randomBytes(150_000 + ((round * 7 + at + i) % 7) * 50_000);
            if (await backend.set(key, { value, flags: 0 }, 0)) latest.set(key, value);
            else latest.delete(key);
          }),
        );
      }
      const single = await Promise.all(keys.map((key) => backend.get(key)));
      const many = await backend.getMany(keys);
      for (const [i, key] of keys.entries()) {
        for (const read of [single[i], many.get(key)]) {
          if (read === undefined) {
            misses++;
            continue;
          }
          hits++;
          assert.ok(latest.has(key), `${key}: read a value whose write was not acknowledged`);
          assert.ok(read.value.equals(latest.get(key)!), `${key}: read a value that is not the last one written`);
        }
      }
    }
    assert.ok(misses > 0, 'the memcached was not under pressure');
    assert.ok(hits > 0, 'nothing was read back');
  });
});
