import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import memjs from 'memjs';
import type { MemcachedServer } from '@larder/testing';
import { toSafeKey, type Cache } from '../src/index.js';
import { memcachedCaches } from './memcached-caches.js';

const longKey = 'report/'.repeat(50);

describe('key mapping is injective', () => {
  it('a long key and the literal text of its hashed form are different backend keys', () => {
    const hashed = toSafeKey(longKey);
    assert.notEqual(hashed, longKey);
    assert.notEqual(toSafeKey(hashed), hashed, 'the literal hashed text is itself hashed');
    assert.match(toSafeKey(hashed), /^[\x21-\x7e]{1,250}$/);
  });

  it('any key carrying the hash marker is hashed, so no literal key lands in the hashed space', () => {
    for (const key of ['a:sha256:b', `x:sha256:${'0'.repeat(64)}`, ':sha256:', `k:sha256:u16:${'f'.repeat(64)}`]) {
      assert.notEqual(toSafeKey(key), key, key);
    }
  });

  it('strings with lone surrogates map to different keys, and differ from U+FFFD', () => {
    const forms = ['x\uD800', 'x\uDBFF', 'x\uDC00', 'x\uFFFD', 'x\uD800\uD800', 'x\uDC00\uD800', 'x\uD83D\uDE00'];
    const mapped = forms.map(toSafeKey);
    assert.equal(new Set(mapped).size, forms.length, mapped.join('\n'));
    for (const key of mapped) assert.match(key, /^[\x21-\x7e]{1,250}$/);
  });

  it('keeps safe keys and the hashed form of well-formed keys unchanged (Python apps see the same keys)', () => {
    assert.equal(toSafeKey('view//users/7'), 'view//users/7');
    assert.equal(toSafeKey('user name'), 'user_name:sha256:7935f40392d23259311350fa8bf9f2f854799a59d74cbd284640557cae9c2186');
  });
});

describe('key mapping on memcached', () => {
  const memcached = memcachedCaches('key-mapping');
  let server: MemcachedServer;
  let cache: Cache;
  before(() => {
    server = memcached.server();
    cache = memcached.open();
  });

  it('a long key and its hashed form are separate entries', async () => {
    const literal = toSafeKey(longKey);
    await cache.set(longKey, 'long');
    await cache.set(literal, 'literal');
    assert.equal(await cache.get(longKey), 'long');
    assert.equal(await cache.get(literal), 'literal');
  });

  it('no cache key reaches the chunks of a large value', async () => {
    const big = randomBytes(2_500_000);
    await cache.set('big', big);
    const { chunkKeys, readManifest } = await import('../src/backends/memcached/chunked-values.js');
    const raw = memjs.Client.create(server.address, { logger: { log() {} } });
    const { value: manifestBytes } = await raw.get('big');
    raw.close();
    const keys = chunkKeys('big', readManifest({ value: manifestBytes!, flags: 0 }));
    for (const chunkKey of keys) {
      assert.notEqual(cache.backendKey(chunkKey), chunkKey);
      await cache.set(chunkKey, 'overwritten');
    }
    assert.deepEqual(await cache.get('big'), big);
  });

  it('keys differing only in a lone surrogate are separate entries', async () => {
    await cache.set('x\uD800', 'high-first');
    await cache.set('x\uDBFF', 'high-last');
    await cache.set('x\uFFFD', 'replacement');
    assert.equal(await cache.get('x\uD800'), 'high-first');
    assert.equal(await cache.get('x\uDBFF'), 'high-last');
    assert.equal(await cache.get('x\uFFFD'), 'replacement');
  });
});
