import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheFromEnv, FailureLog, FlagSerializer, makeTemplateFragmentKey, parseTtl, toSafeKey } from '../src/index.js';
import { chooseBackendFromEnv } from '../src/opening/from-env.js';
import { parseServerList } from '../src/memcached.js';
import { toMemcachedExpiry } from '../src/ttl.js';

describe('keys', () => {
  it('keeps memcached-safe keys as they are', () => {
    assert.equal(toSafeKey('view//users/7'), 'view//users/7');
    assert.equal(toSafeKey('a'.repeat(250)), 'a'.repeat(250));
  });

  it('maps unsafe keys to a deterministic key of at most 250 printable bytes', () => {
    for (const key of ['has space', 'new\nline', 'ünï', 'a'.repeat(251), '', 'x'.repeat(10_000)]) {
      const safe = toSafeKey(key);
      assert.match(safe, /^[\x21-\x7e]{1,250}$/);
      assert.equal(toSafeKey(key), safe);
    }
    assert.notEqual(toSafeKey('a b'), toSafeKey('a_b'));
    assert.notEqual(toSafeKey('a'.repeat(300)), toSafeKey('a'.repeat(301)));
    assert.ok(toSafeKey('user name').startsWith('user_name:sha256:'), 'keeps a readable prefix');
  });
});

describe('TTL', () => {
  it('reads numbers and duration strings', () => {
    assert.equal(parseTtl(0), 0);
    assert.equal(parseTtl(1.2), 2);
    assert.equal(parseTtl('90s'), 90);
    assert.equal(parseTtl('5m'), 300);
    assert.equal(parseTtl('2h'), 7200);
    assert.equal(parseTtl('7d'), 604800);
    assert.equal(parseTtl('45'), 45);
    for (const bad of [-1, Number.NaN, Infinity, '5y', 'abc', '']) assert.throws(() => parseTtl(bad as never), { code: 'E_INVALID_ARGUMENT' });
  });

  it('sends TTLs over 30 days to memcached as absolute Unix time', () => {
    const now = Date.UTC(2026, 0, 1);
    assert.equal(toMemcachedExpiry(2_592_000, now), 2_592_000);
    assert.equal(toMemcachedExpiry(2_592_001, now), now / 1000 + 2_592_001);
  });
});

describe('flags shared with Python clients', () => {
  const serializer = new FlagSerializer({ compressThreshold: 0 });
  const wire = (value: unknown) => {
    const { value: bytes, flags } = serializer.encode(value);
    return { value: bytes, flags };
  };
  it('writes str as 16, int as 4, bytes as 0, anything else as JSON under a flag of its own', () => {
    assert.deepEqual(wire('é'), { value: Buffer.from('é'), flags: 16 });
    assert.deepEqual(wire(-12), { value: Buffer.from('-12'), flags: 4 });
    assert.deepEqual(wire(Buffer.from('b')), { value: Buffer.from('b'), flags: 0 });
    assert.equal(serializer.encode(1.5).flags, 256);
    assert.equal(serializer.encode({ a: 1 }).flags, 256);
  });

  it('reads what pylibmc and pymemcache write: int (2), long (4), text, bytes, zlib', () => {
    assert.equal(serializer.decode('k', { value: Buffer.from('123'), flags: 2 }), 123);
    assert.equal(serializer.decode('k', { value: Buffer.from('-5'), flags: 4 }), -5);
    assert.equal(serializer.decode('k', { value: Buffer.from('7   '), flags: 4 }), 7, 'memcached pads decremented counters');
    assert.deepEqual(serializer.decode('k', { value: Buffer.from('raw'), flags: 0 }), Buffer.from('raw'));
    assert.throws(() => serializer.decode('k', { value: Buffer.from('x'), flags: 1 }), { code: 'E_DESERIALIZE', message: /flags 1/ });
    assert.throws(() => serializer.decode('k', { value: Buffer.from('{'), flags: 256 }), { code: 'E_DESERIALIZE' });
  });

  it('a Buffer read from the cache is a copy the caller may change', () => {
    const stored = serializer.encode(Buffer.from('abc'));
    const read = serializer.decode('k', stored) as Buffer;
    read[0] = 0x7a;
    assert.equal((serializer.decode('k', stored) as Buffer).toString(), 'abc');
  });
});

describe('server lists', () => {
  it('parses host:port:weight entries from strings and arrays', () => {
    assert.deepEqual(parseServerList('a:1, b:2:3 c'), [
      { host: 'a', port: 1, weight: 1 },
      { host: 'b', port: 2, weight: 3 },
      { host: 'c', port: 11211, weight: 1 },
    ]);
    assert.deepEqual(parseServerList(['[::1]:11212']), [{ host: '::1', port: 11212, weight: 1 }]);
  });
});

describe('cacheFromEnv', () => {
  it('prefers MEMCACHIER_*, then <PREFIX>_MEMCACHED_*, then MEMCACHED_*', () => {
    const env = {
      MEMCACHED_SERVERS: 'plain:1',
      MEMCACHED_USERNAME: 'u',
      MEMCACHED_PASSWORD: 'p',
      MYAPP_MEMCACHED_SERVERS: 'mine:2:3',
    };
    assert.deepEqual(chooseBackendFromEnv(env, 'myapp'), { source: 'MYAPP_MEMCACHED', servers: 'mine:2:3', username: 'u', password: 'p' });
    assert.deepEqual(chooseBackendFromEnv(env), { source: 'MEMCACHED', servers: 'plain:1', username: 'u', password: 'p' });
    assert.equal(chooseBackendFromEnv({ ...env, MEMCACHIER_SERVERS: 'mc:11211', MEMCACHIER_USERNAME: 'x', MEMCACHIER_PASSWORD: 'y' }).source, 'MEMCACHIER');
    assert.deepEqual(chooseBackendFromEnv({}), { source: 'memory' });
  });

  it('falls back to memory and says so in one log line', () => {
    const lines: string[] = [];
    const cache = cacheFromEnv({ env: {}, logger: { warn: (m) => lines.push(m) } });
    assert.equal(cache.backend.name, 'memory');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /in-memory/);
  });

  it('builds a memcached backend from the environment, weights included, without logging the password', () => {
    const lines: string[] = [];
    const env = { MEMCACHIER_SERVERS: 'one:11211:2,two:11212', MEMCACHIER_USERNAME: 'bob', MEMCACHIER_PASSWORD: 'hunter2' };
    const cache = cacheFromEnv({ env, logger: { warn: (m) => lines.push(m) } });
    assert.equal(cache.backend.name, 'memcached(one:11211,two:11212)');
    assert.doesNotMatch(lines.join('\n'), /hunter2/);
  });

  it('an unparseable server list in the environment is a typed error at start-up', () => {
    assert.throws(() => cacheFromEnv({ env: { MEMCACHED_SERVERS: 'host:port:weight' }, logger: { warn() {} } }), { code: 'E_INVALID_OPTION' });
  });
});

describe('FailureLog', () => {
  it('logs the first failure of a burst, counts the rest, and says how many on the next line', () => {
    let now = 0;
    const lines: string[] = [];
    const log = new FailureLog({ warn: (line) => lines.push(line) }, 1000, () => now, 'larder-session');
    log.record('one');
    log.record('two');
    log.record('three');
    now = 1500;
    log.record('four');
    assert.deepEqual(lines, ['larder-session: one', 'larder-session: four (2 similar failures not logged since the last line)']);
  });
});

describe('makeTemplateFragmentKey', () => {
  it("builds Flask-Caching's fragment keys", () => {
    assert.equal(makeTemplateFragmentKey('sidebar'), '_template_fragment_cache_sidebar');
    assert.equal(makeTemplateFragmentKey('sidebar', []), '_template_fragment_cache_sidebar');
    assert.equal(makeTemplateFragmentKey('sidebar', ['u', 7]), '_template_fragment_cache_sidebar_u_7');
    assert.throws(() => makeTemplateFragmentKey(''), { code: 'E_INVALID_ARGUMENT' });
  });
});
