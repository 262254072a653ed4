import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer, runPython } from '@larder/testing';
import { Cache, MemcachedBackend } from '../src/index.js';

// pylibmc (libmemcached, ketama as MemCachier recommends) on the same two-node ring as a Cache
// speaking the meta protocol: each writes, the other reads.
const PYLIBMC = `
import json, sys, pylibmc
req = json.load(sys.stdin)
mc = pylibmc.Client(req['servers'], binary=True, behaviors={'ketama': True})
if req['write']:
    mc.set('py:text', 'héllo from pylibmc')
    mc.set('py:int', 1234567)
    mc.set('py:bytes', b'\\x00\\x01\\xfe')
    mc.set('py:zlib', 'squeeze ' * 5000, min_compress_len=10)
    for i in range(200):
        mc.set('py:many:%d' % i, 'v%d' % i)
    print(json.dumps({'ok': True}))
else:
    def describe(v):
        return ['bytes', list(v)] if isinstance(v, bytes) else [type(v).__name__, v]
    print(json.dumps({key: describe(mc.get(key)) for key in req['keys']}))
`;

describe('pylibmc and a Cache on the meta protocol read what the other wrote', () => {
  const servers: MemcachedServer[] = [];
  let cache: Cache;
  before(async () => {
    servers.push(...(await Promise.all([MemcachedServer.start(), MemcachedServer.start()])));
    cache = new Cache({ backend: new MemcachedBackend({ servers: servers.map((s) => s.address), protocol: 'meta' }), compressThreshold: 1024, logger: { warn() {} } });
  });
  after(async () => {
    await cache.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('pylibmc reads strings, integers, bytes and zlib-compressed text written over meta', async () => {
    assert.equal(await cache.set('js:text', 'héllo from meta'), true);
    assert.equal(await cache.set('js:int', 42), true);
    assert.equal(await cache.set('js:bytes', Buffer.from([0, 1, 254])), true);
    assert.equal(await cache.set('js:zlib', 'pack '.repeat(5000)), true);
    const keys = Array.from({ length: 200 }, (_, i) => `js:many:${i}`);
    for (const key of keys) assert.equal(await cache.set(key, key), true);
    const read = runPython<Record<string, [string, unknown]>>(PYLIBMC, { servers: servers.map((s) => s.address), write: false, keys: ['js:text', 'js:int', 'js:bytes', 'js:zlib', ...keys] });
    assert.deepEqual(read['js:text'], ['str', 'héllo from meta']);
    assert.deepEqual(read['js:int'], ['int', 42]);
    assert.deepEqual(read['js:bytes'], ['bytes', [0, 1, 254]]);
    assert.deepEqual(read['js:zlib'], ['str', 'pack '.repeat(5000)]);
    for (const key of keys) assert.deepEqual(read[key], ['str', key], key);
  });

  it('a Cache on meta reads what pylibmc wrote, one by one and with getMany', async () => {
    runPython(PYLIBMC, { servers: servers.map((s) => s.address), write: true });
    assert.equal(await cache.get('py:text'), 'héllo from pylibmc');
    assert.equal(await cache.get('py:int'), 1234567);
    assert.deepEqual(await cache.get('py:bytes'), Buffer.from([0, 1, 254]));
    assert.equal(await cache.get('py:zlib'), 'squeeze '.repeat(5000));
    const keys = Array.from({ length: 200 }, (_, i) => `py:many:${i}`);
    const many = await cache.getMany(keys);
    keys.forEach((key, i) => assert.equal(many[key], `v${i}`, key));
  });
});
