import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { MemcachedServer, metaTtl } from '@larder/testing';
import { LarderError, MemcachedBackend } from '../src/index.js';
import { backendConformance } from '../src/conformance.js';
import { assertUnreadable, fakeServer } from './fake-server.js';

const sleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

backendConformance('MemcachedBackend, meta protocol', async () => {
  const server = await MemcachedServer.start();
  return {
    backend: new MemcachedBackend({ servers: server.address, protocol: 'meta' }),
    fakeClock: false,
    advance: sleep,
    remainingTtl: (key) => metaTtl(server.host, server.port, key),
    dispose: () => server.stop(),
  };
});

backendConformance('MemcachedBackend, meta protocol over TLS', async () => {
  const server = await MemcachedServer.start({ tls: true });
  return {
    backend: new MemcachedBackend({ servers: server.address, protocol: 'meta', tls: { ca: server.certificates!.ca } }),
    fakeClock: false,
    advance: sleep,
    dispose: () => server.stop(),
  };
});

backendConformance('MemcachedBackend, meta protocol on a Unix socket', async () => {
  const server = await MemcachedServer.start({ unixSocket: true });
  return {
    backend: new MemcachedBackend({ servers: [server.address], protocol: 'meta' }),
    fakeClock: false,
    advance: sleep,
    dispose: () => server.stop(),
  };
});

backendConformance('MemcachedBackend, binary protocol on a Unix socket', async () => {
  const server = await MemcachedServer.start({ unixSocket: true });
  return {
    backend: new MemcachedBackend({ servers: [server.address] }),
    fakeClock: false,
    advance: sleep,
    dispose: () => server.stop(),
  };
});

describe('meta protocol', () => {
  let server: MemcachedServer;
  before(async () => {
    server = await MemcachedServer.start();
  });
  after(() => server.stop());

  it('refuses SASL credentials and unknown protocols with E_INVALID_OPTION', () => {
    assert.throws(
      () => new MemcachedBackend({ servers: server.address, protocol: 'meta', username: 'u', password: 'p' }),
      (error: unknown) => error instanceof LarderError && error.code === 'E_INVALID_OPTION' && /protocol/.test(error.message) && /SASL/.test(error.message),
    );
    assert.throws(() => new MemcachedBackend({ servers: server.address, protocol: 'ascii' as never }), /"binary" or "meta"/);
  });

  it('binary and meta share items: flags, CAS, counters, chunked values and keys meta sends base64', async () => {
    const meta = new MemcachedBackend({ servers: server.address, protocol: 'meta', chunkSize: 32 * 1024 });
    const binary = new MemcachedBackend({ servers: server.address, chunkSize: 32 * 1024 });
    try {
      const big = Buffer.alloc(200_000, 7);
      big.write('end', big.length - 3);
      assert.equal(await meta.set('m:big', { value: big, flags: 8 }, 60), true);
      assert.deepEqual(await binary.get('m:big'), { value: big, flags: 8 });
      assert.equal(await binary.set('b:text', { value: Buffer.from('héllo'), flags: 16 }, 60), true);
      assert.deepEqual(await meta.get('b:text'), { value: Buffer.from('héllo'), flags: 16 });
      const odd = 'key with spaces\u00e9';
      assert.equal(await meta.set(odd, { value: Buffer.from('odd'), flags: 0 }, 60), true);
      assert.equal((await binary.get(odd))?.value.toString(), 'odd');
      await binary.set('count', { value: Buffer.from('41'), flags: 4 }, 60);
      assert.equal(await meta.incr('count', 1n), 42n);
      assert.equal(await meta.decr('count', 100n), 0n);
      const cas = await meta.gets('b:text');
      assert.equal(await binary.cas('b:text', { value: Buffer.from('x'), flags: 16 }, cas!.cas, 60), true);
      assert.equal(await meta.cas('b:text', { value: Buffer.from('y'), flags: 16 }, cas!.cas, 60), false);
      const many = await meta.getMany(['m:big', 'b:text', 'absent', odd, 'count']);
      assert.deepEqual([...many.keys()].sort(), ['b:text', 'count', 'm:big', odd].sort());
      assert.deepEqual(many.get('m:big'), { value: big, flags: 8 });
      assert.equal(await meta.delete('m:big'), true);
      assert.equal(await binary.get('m:big'), undefined);
    } finally {
      await Promise.all([meta.close(), binary.close()]);
    }
  });

  it('getMany is one pipelined batch of quiet mg ending with mn, and many concurrent calls keep their answers apart', async () => {
    const meta = new MemcachedBackend({ servers: server.address, protocol: 'meta' });
    try {
      const keys = Array.from({ length: 300 }, (_, i) => `pipe:${i}`);
      await meta.setMany(keys.filter((_, i) => i % 3 === 0).map((key) => [key, { value: Buffer.from(key), flags: 16 }] as const), 60);
      const results = await Promise.all([meta.getMany(keys), ...keys.map((key) => meta.get(key)), meta.getMany(keys.slice(0, 10))]);
      const all = results[0] as Map<string, { value: Buffer }>;
      assert.equal(all.size, 100);
      for (const [key, found] of all) assert.equal(found.value.toString(), key);
      keys.forEach((key, i) => assert.equal((results[i + 1] as { value: Buffer } | undefined)?.value.toString(), i % 3 === 0 ? key : undefined));
    } finally {
      await meta.close();
    }
  });
});

describe('meta protocol against a broken server', () => {
  it('a value longer than its VA line says fails E_CONNECTION instead of reaching the caller cut short', async (t) => {
    const address = await fakeServer(t, (socket) => {
      socket.once('data', (request: Buffer) => {
        const opaque = /\bO(\d+)/.exec(request.toString('latin1'))![1]!;
        socket.write(`VA 3 O${opaque}\r\nabcd\r\n`);
      });
    });
    const backend = new MemcachedBackend({ servers: address, protocol: 'meta', timeout: 2000, failureLimit: 100 });
    t.after(() => backend.close());
    const result = (await backend.get('k').then((item) => item?.value.toString(), (e: unknown) => e)) as LarderError | string;
    assert.equal(typeof result === 'string' ? result : result?.code, 'E_CONNECTION');
    assert.match((result as LarderError).message, /unreadable answer/);
  });

  it('a value claiming 5 GB fails E_CONNECTION at once, as a binary frame that large does, instead of being buffered', async (t) => {
    await assertUnreadable(t, 'meta', 'VA 5000000000 O1\r\n');
  });
});
