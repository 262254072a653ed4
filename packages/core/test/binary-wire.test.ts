import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { Cache, MemcachedBackend, type LarderError } from '../src/index.js';
import { assertUnreadable, fakeServer } from './fake-server.js';

// The binary protocol is Larder's own (no client library): answers cut anywhere, answers that
// come late or for nothing, and bytes that are not memcached's must each end as the protocol or a
// typed error says, never as a wrong value, a hang or a crash.

/** A proxy in front of `target` that passes the server's answers on `size` bytes per write, one write per turn. */
function splittingProxy(t: TestContext, target: MemcachedServer, size: number): Promise<string> {
  return fakeServer(t, (client) => {
    const [host, port] = target.address.split(':') as [string, string];
    const upstream = connect({ host, port: Number(port) }).on('error', () => client.destroy());
    client.on('data', (chunk) => upstream.write(chunk));
    const queue: Buffer[] = [];
    let pumping = false;
    const pump = () => {
      const next = queue.shift();
      if (next === undefined) return void (pumping = false);
      if (next.length > size) queue.unshift(next.subarray(size));
      client.write(next.subarray(0, size));
      setImmediate(pump);
    };
    upstream.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      if (!pumping) {
        pumping = true;
        setImmediate(pump);
      }
    });
    client.on('close', () => upstream.destroy());
  });
}

/** A binary response header for a request's opaque, with `body` after it. */
function answer(opaque: number, status: number, body: Buffer, extras: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(24);
  header[0] = 0x81;
  header[4] = extras.length;
  header.writeUInt16BE(status, 6);
  header.writeUInt32BE(extras.length + body.length, 8);
  header.writeUInt32BE(opaque, 12);
  return Buffer.concat([header, extras, body]);
}

function flagsExtras(flags: number): Buffer {
  const extras = Buffer.alloc(4);
  extras.writeUInt32BE(flags);
  return extras;
}

describe('the binary protocol on connections Larder owns', () => {
  it('answers cut into 7-byte pieces (headers split too) read back whole: get, getMany, a chunked value', async (t) => {
    const server = await MemcachedServer.start();
    t.after(() => server.stop());
    const address = await splittingProxy(t, server, 7);
    const direct = new Cache({ backend: new MemcachedBackend({ servers: server.address, chunkSize: 4096 }) });
    t.after(() => direct.close());
    const big = 'x'.repeat(20_000) + 'end';
    await direct.set('big', big);
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    for (const key of keys) await direct.set(key, `value of ${key}`);

    const cache = new Cache({ backend: new MemcachedBackend({ servers: address, chunkSize: 4096, timeout: 5000 }), ignoreErrors: false });
    t.after(() => cache.close());
    assert.equal(await cache.get('k7'), 'value of k7');
    assert.deepEqual(await cache.getMany([...keys, 'absent']), Object.fromEntries(keys.map((key) => [key, `value of ${key}`])));
    assert.equal(await cache.get('big'), big);
  });

  it('answers in another order than asked, a late answer and an answer for no request: each value reaches its own caller', async (t) => {
    // A fake server: holds two gets, answers the second first, then the first twice (the second
    // copy answers nobody), then a NOT_FOUND for an opaque never sent.
    let held: Array<{ opaque: number; key: string }> = [];
    const address = await fakeServer(t, (socket) => {
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 24 && pending.length >= 24 + pending.readUInt32BE(8)) {
          const length = 24 + pending.readUInt32BE(8);
          const keyLength = pending.readUInt16BE(2);
          held.push({ opaque: pending.readUInt32BE(12), key: pending.toString('utf8', length - keyLength, length) });
          pending = pending.subarray(length);
        }
        if (held.length < 2) return;
        const [first, second] = held as [{ opaque: number; key: string }, { opaque: number; key: string }];
        held = [];
        const value = (opaque: number, key: string): Buffer => answer(opaque, 0, Buffer.from(`"${key}"`), flagsExtras(0));
        socket.write(Buffer.concat([value(second.opaque, second.key), value(first.opaque, first.key), value(first.opaque, first.key), answer(0x7ffffff0, 1, Buffer.alloc(0))]));
      });
    });
    const backend = new MemcachedBackend({ servers: address, timeout: 2000 });
    t.after(() => backend.close());
    const [a, b] = await Promise.all([backend.get('alpha'), backend.get('beta')]);
    assert.equal(a?.value.toString(), '"alpha"');
    assert.equal(b?.value.toString(), '"beta"');
    const [c, d] = await Promise.all([backend.get('gamma'), backend.get('delta')]);
    assert.equal(c?.value.toString(), '"gamma"', 'the connection is still in step after the stray answers');
    assert.equal(d?.value.toString(), '"delta"');
  });

  for (const [name, garbage] of [
    ['a wrong magic byte', Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')],
    ['a frame claiming 4 GiB', (() => {
      const frame = answer(1, 0, Buffer.alloc(0));
      frame.writeUInt32BE(0xffffffff, 8);
      return frame;
    })()],
  ] as const) {
    it(`${name} from the server: the call fails E_CONNECTION at once (no wait, no allocation), the next connects again`, async (t) => {
      await assertUnreadable(t, 'binary', garbage);
    });
  }

  it('an answer whose extras and key are longer than its body fails E_CONNECTION; no flags or key are read from the next answer', async (t) => {
    // Extras of 4 bytes in a body of 0: the flags word would be the next frame's first bytes.
    const address = await fakeServer(t, (socket) => {
      socket.once('data', (request: Buffer) => {
        const broken = answer(request.readUInt32BE(12), 0, Buffer.alloc(0));
        broken[4] = 4;
        socket.write(Buffer.concat([broken, answer(0x7ffffff0, 1, Buffer.alloc(0))]));
      });
    });
    const backend = new MemcachedBackend({ servers: address, timeout: 2000 });
    t.after(() => backend.close());
    const error = (await backend.get('k').then((item) => item, (e: unknown) => e)) as LarderError;
    assert.equal(error?.code, 'E_CONNECTION', `got ${JSON.stringify(error)}`);
    assert.match(error.message, /unreadable answer/);
  });

  it('a key too long for the frame header (64 KiB or more) is refused, not cut to its first bytes: no other key is overwritten', async (t) => {
    const server = await MemcachedServer.start();
    t.after(() => server.stop());
    const backend = new MemcachedBackend({ servers: server.address });
    t.after(() => backend.close());
    await backend.set('abcde', { value: Buffer.from('kept'), flags: 0 }, 0);
    // 65541 bytes: a 16-bit length field would say 5, and memcached would read the key as "abcde".
    const error = (await backend.set(`abcde${'x'.repeat(65536)}`, { value: Buffer.from('intruder'), flags: 0 }, 0).then(() => undefined, (e: unknown) => e)) as LarderError;
    assert.equal(error?.code, 'E_INVALID_ARGUMENT');
    assert.equal((await backend.get('abcde'))?.value.toString(), 'kept');
  });

  for (const protocol of ['binary', 'meta'] as const) {
    it(`${protocol}: a key over 250 bytes (direct backend use) is refused before it is sent; calls beside it on the connection are unharmed`, async (t) => {
      const server = await MemcachedServer.start();
      t.after(() => server.stop());
      const backend = new MemcachedBackend({ servers: server.address, protocol });
      t.after(() => backend.close());
      await backend.set('neighbour', { value: Buffer.from('kept'), flags: 0 }, 0);
      const [long, neighbours] = await Promise.all([
        backend.get('k'.repeat(251)).then(() => undefined, (e: unknown) => e as LarderError),
        Promise.all(Array.from({ length: 10 }, () => backend.get('neighbour'))),
      ]);
      assert.equal(long?.code, 'E_INVALID_ARGUMENT');
      assert.deepEqual(neighbours.map((item) => item?.value.toString()), Array.from({ length: 10 }, () => 'kept'));
      assert.equal((await backend.get('k'.repeat(250)))?.value, undefined, 'a 250-byte key is memcached\'s own limit and goes through');
    });
  }

  it('credentials against a memcached without SASL: calls go through (the server needs none), as with other clients', async (t) => {
    const server = await MemcachedServer.start();
    t.after(() => server.stop());
    const cache = new Cache({ backend: new MemcachedBackend({ servers: server.address, username: 'user', password: 'secret' }), ignoreErrors: false });
    t.after(() => cache.close());
    assert.equal(await cache.set('k', 'v'), true);
    assert.equal(await cache.get('k'), 'v');
  });

  it('SASL: requests sent before the authentication is answered wait behind it and succeed', async (t) => {
    const server = await MemcachedServer.start({ sasl: { username: 'larder', password: 'pantry' } });
    t.after(() => server.stop());
    const cache = new Cache({ backend: new MemcachedBackend({ servers: server.address, username: 'larder', password: 'pantry' }), ignoreErrors: false });
    t.after(() => cache.close());
    const keys = Array.from({ length: 30 }, (_, i) => `s${i}`);
    assert.deepEqual(await Promise.all(keys.map((key) => cache.set(key, key))), keys.map(() => true));
    assert.deepEqual(await cache.getMany(keys), Object.fromEntries(keys.map((key) => [key, key])));
  });
});

describe('connection settings Node refuses only when connecting', () => {
  for (const protocol of ['binary', 'meta'] as const) {
    it(`${protocol}: TLS material that is not PEM fails the calls, typed, and the process goes on`, async (t) => {
      const backend = new MemcachedBackend({ servers: '127.0.0.1:1', protocol, tls: { ca: 'not a certificate' }, failureLimit: 100 });
      t.after(() => backend.close());
      for (let i = 0; i < 2; i++) {
        const error = (await backend.get('k').then(() => undefined, (e: unknown) => e)) as LarderError | undefined;
        assert.equal(error?.code, 'E_CONNECTION');
      }
    });
  }
});
