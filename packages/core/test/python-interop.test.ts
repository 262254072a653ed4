import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer, runPython } from '@larder/testing';
import { Cache, MemcachedBackend, type CacheErrorEvent } from '../src/index.js';

// pylibmc with ketama as MemCachier recommends; keys and a few values per call, as JSON.
const PYLIBMC_WRITE = `
import json, sys, pylibmc
req = json.load(sys.stdin)
mc = pylibmc.Client(req['servers'], binary=True, behaviors={'ketama': True})
for key in req['keys']:
    mc.set(key, 'py:' + key)
print(json.dumps({'ok': True}))
`;
const PYLIBMC_READ = `
import json, sys, pylibmc
req = json.load(sys.stdin)
mc = pylibmc.Client(req['servers'], binary=True, behaviors={'ketama': True})
print(json.dumps({key: mc.get(key) for key in req['keys']}))
`;
// Typed values written by Python, each through the client named.
const PYTHON_WRITE_TYPES = `
import json, sys, pylibmc
from pymemcache.client.base import Client
from pymemcache.serde import python_memcache_serializer, python_memcache_deserializer
req = json.load(sys.stdin)
host, port = req['server'].split(':')
pl = pylibmc.Client([req['server']], binary=True)
pm = Client((host, int(port)), serializer=python_memcache_serializer, deserializer=python_memcache_deserializer)
pl.set('pylibmc:text', 'héllo from pylibmc')
pl.set('pylibmc:int', 1234567)
pl.set('pylibmc:bytes', b'\\x00\\x01\\xfe')
pl.set('pylibmc:zlib', 'squeeze ' * 500, min_compress_len=10)
pl.set('pylibmc:pickle', {'a': (1, 2)})
pm.set('pymemcache:text', 'héllo from pymemcache')
pm.set('pymemcache:int', -42)
pm.set('pymemcache:bytes', b'raw bytes')
print(json.dumps({'ok': True}))
`;
const PYTHON_READ_TYPES = `
import json, sys, pylibmc
from pymemcache.client.base import Client
from pymemcache.serde import python_memcache_serializer, python_memcache_deserializer
req = json.load(sys.stdin)
host, port = req['server'].split(':')
pl = pylibmc.Client([req['server']], binary=True)
pm = Client((host, int(port)), serializer=python_memcache_serializer, deserializer=python_memcache_deserializer)
def describe(v):
    if isinstance(v, bytes):
        return ['bytes', list(v)]
    return [type(v).__name__, v]
out = {}
for key in req['keys']:
    for name, client in (('pylibmc', pl), ('pymemcache', pm)):
        try:
            out[name + ' ' + key] = describe(client.get(key))
        except Exception as error:
            out[name + ' ' + key] = ['error', type(error).__name__]
print(json.dumps(out))
`;

describe('pylibmc finds the keys Larder writes on a three-node ring, and the reverse', () => {
  const servers: MemcachedServer[] = [];
  let cache: Cache;
  before(async () => {
    servers.push(...(await Promise.all([MemcachedServer.start(), MemcachedServer.start(), MemcachedServer.start()])));
    cache = new Cache({ backend: new MemcachedBackend({ servers: servers.map((s) => s.address) }), logger: { warn() {} } });
  });
  after(async () => {
    await cache.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  const keys = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? `session:${i}` : i % 3 === 1 ? `view//items/${i}` : `k${i * 7919}`));

  it('every key pylibmc wrote is read by Larder with the same server list', async () => {
    runPython(PYLIBMC_WRITE, { servers: servers.map((s) => s.address), keys });
    const found = await cache.getMany(keys);
    assert.equal(Object.keys(found).length, keys.length);
    for (const key of keys) assert.equal(found[key], `py:${key}`);
  });

  it('every key Larder wrote is read by pylibmc with the same server list', async () => {
    const larderKeys = keys.map((key) => `larder:${key}`);
    await cache.setMany(larderKeys.map((key) => [key, `node:${key}`] as const));
    const read = runPython<Record<string, string | null>>(PYLIBMC_READ, { servers: servers.map((s) => s.address), keys: larderKeys });
    for (const key of larderKeys) assert.equal(read[key], `node:${key}`);
  });

  it('the keys really are spread over all three nodes', async () => {
    const perNode = await Promise.all(
      servers.map(async (server) => {
        const single = new Cache({ backend: new MemcachedBackend({ servers: server.address }), logger: { warn() {} } });
        const count = Object.keys(await single.getMany(keys)).length;
        await single.close();
        return count;
      }),
    );
    assert.equal(perNode.reduce((a, b) => a + b, 0), keys.length);
    assert.ok(perNode.every((count) => count > 50), `per node: ${perNode}`);
  });
});

describe('values shared with pylibmc and pymemcache keep their type', () => {
  let server: MemcachedServer;
  let cache: Cache;
  const errors: CacheErrorEvent[] = [];
  before(async () => {
    server = await MemcachedServer.start();
    cache = new Cache({ backend: new MemcachedBackend({ servers: server.address }), compressThreshold: 100, logger: { warn() {} } });
    cache.on('error', (event) => errors.push(event));
  });
  after(async () => {
    await cache.close();
    await server.stop();
  });

  it('Larder reads text, integers, bytes and compressed text written by Python', async () => {
    runPython(PYTHON_WRITE_TYPES, { server: server.address });
    assert.equal(await cache.get('pylibmc:text'), 'héllo from pylibmc');
    assert.equal(await cache.get('pylibmc:int'), 1234567);
    assert.deepEqual(await cache.get('pylibmc:bytes'), Buffer.from([0, 1, 0xfe]));
    assert.equal(await cache.get('pylibmc:zlib'), 'squeeze '.repeat(500));
    assert.equal(await cache.get('pymemcache:text'), 'héllo from pymemcache');
    assert.equal(await cache.get('pymemcache:int'), -42);
    assert.deepEqual(await cache.get('pymemcache:bytes'), Buffer.from('raw bytes'));
  });

  it('a pickled value is a miss plus an E_DESERIALIZE event, never a crash', async () => {
    errors.length = 0;
    assert.equal(await cache.get('pylibmc:pickle'), undefined);
    assert.equal(errors.length, 1);
    assert.equal((errors[0]!.error as { code?: string }).code, 'E_DESERIALIZE');
  });

  it('pylibmc and pymemcache read what Larder writes with the right type', async () => {
    await cache.set('larder:text', 'héllo from node');
    await cache.set('larder:int', 987654321);
    await cache.set('larder:negative', -3);
    await cache.set('larder:bytes', Buffer.from([7, 0, 255]));
    await cache.set('larder:zlib', 'compress me '.repeat(300));
    const keys = ['larder:text', 'larder:int', 'larder:negative', 'larder:bytes', 'larder:zlib'];
    const read = runPython<Record<string, [string, unknown]>>(PYTHON_READ_TYPES, { server: server.address, keys });
    for (const client of ['pylibmc', 'pymemcache']) {
      assert.deepEqual(read[`${client} larder:text`], ['str', 'héllo from node'], client);
      assert.deepEqual(read[`${client} larder:int`], ['int', 987654321], client);
      assert.deepEqual(read[`${client} larder:negative`], ['int', -3], client);
      assert.deepEqual(read[`${client} larder:bytes`], ['bytes', [7, 0, 255]], client);
    }
    assert.deepEqual(read['pylibmc larder:zlib'], ['str', 'compress me '.repeat(300)], 'pylibmc decompresses flag bit 8');
    // pymemcache's python_memcache_serializer ignores bit 8 (its own compression is a
    // separate serde): the README says to turn compression off when pymemcache reads.
    assert.deepEqual(read['pymemcache larder:zlib'], ['error', 'UnicodeDecodeError']);
  });
});
