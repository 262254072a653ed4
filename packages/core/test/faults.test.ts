import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freePort, MemcachedServer, startBlackHole } from '@larder/testing';
import { Cache, MemcachedBackend, type CacheErrorEvent } from '../src/index.js';

const TIMEOUT = 300;
const CONNECT_TIMEOUT = 600;

function collectingCache(servers: string, extra: Partial<{ username: string; password: string; deadTimeout: number; failureLimit: number }> = {}) {
  const warnings: string[] = [];
  const errors: CacheErrorEvent[] = [];
  const backend = new MemcachedBackend({ servers, timeout: TIMEOUT, connectTimeout: CONNECT_TIMEOUT, ...extra });
  const cache = new Cache({ backend, logger: { warn: (m) => warnings.push(m) } });
  cache.on('error', (event) => errors.push(event));
  return { cache, warnings, errors };
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await run();
  return [result, performance.now() - start];
}

describe('memcached faults', () => {
  it('a killed node: reads miss, writes return false, within the timeout, counted, evented, logged once per burst', async (t) => {
    const server = await MemcachedServer.start();
    t.after(() => server.stop());
    const { cache, warnings, errors } = collectingCache(server.address, { failureLimit: 1 });
    t.after(() => cache.close());
    assert.equal(await cache.set('k', 'v'), true);
    await server.kill();

    const [value, readMs] = await timed(() => cache.get('k'));
    assert.equal(value, undefined);
    assert.ok(readMs < CONNECT_TIMEOUT + TIMEOUT + 500, `read took ${readMs} ms`);
    const [stored, writeMs] = await timed(() => cache.set('k', 'w'));
    assert.equal(stored, false);
    assert.ok(writeMs < CONNECT_TIMEOUT + TIMEOUT + 500, `write took ${writeMs} ms`);
    for (let i = 0; i < 20; i++) await cache.get(`burst${i}`);

    const stats = cache.stats();
    assert.equal(stats.errors, 22);
    assert.equal(errors.length, 22);
    const codes = errors.map((e) => (e.error as { code?: string }).code);
    assert.ok(['E_CONNECTION', 'E_TIMEOUT'].includes(codes[0]!), `first failure ${codes[0]}`);
    assert.ok(codes.slice(1).every((code) => code === 'E_NODE_DEAD'), 'then the node is out of the ring: no waiting on it');
    assert.match(errors[0]!.error.message, new RegExp(server.address));
    assert.equal(warnings.length, 1, 'one log line for the burst');
  });

  it('a restarted node on the same port is used again without a new client', async (t) => {
    const server = await MemcachedServer.start();
    t.after(() => server.stop());
    const { cache } = collectingCache(server.address, { deadTimeout: 0.5 });
    t.after(() => cache.close());
    assert.equal(await cache.set('before', 1), true);
    await server.kill();
    assert.equal(await cache.get('before'), undefined);
    await server.restart();
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(await cache.set('after', 2), true);
    assert.equal(await cache.get('after'), 2);
  });

  it('wrong SASL password: connect() rejects with E_AUTH naming the server, within the connect timeout', async (t) => {
    const server = await MemcachedServer.start({ sasl: { username: 'larder', password: 'right' } });
    t.after(() => server.stop());
    const { cache, errors } = collectingCache(server.address, { username: 'larder', password: 'wrong' });
    t.after(() => cache.close());
    const [outcome, ms] = await timed(() => cache.connect().then(() => 'connected', (error: unknown) => error));
    assert.equal((outcome as { code?: string }).code, 'E_AUTH');
    assert.match((outcome as Error).message, new RegExp(`${server.address}.*credentials`));
    assert.ok(ms < CONNECT_TIMEOUT + TIMEOUT, `took ${ms} ms`);
    assert.equal(await cache.get('x'), undefined, 'reads stay misses');
    assert.equal((errors[0]?.error as { code?: string }).code, 'E_NODE_DEAD', 'the node that refused is out of the ring');
    assert.match(errors[0]!.error.message, /rejected the SASL credentials/);
  });

  it('missing credentials against a SASL server are E_AUTH too', async (t) => {
    const server = await MemcachedServer.start({ sasl: { username: 'larder', password: 'right' } });
    t.after(() => server.stop());
    const { cache } = collectingCache(server.address);
    t.after(() => cache.close());
    await assert.rejects(cache.connect(), { code: 'E_AUTH' });
  });

  it('an unreachable port: connect() rejects with E_CONNECTION naming the server; reads miss fast', async (t) => {
    const port = await freePort();
    const { cache } = collectingCache(`127.0.0.1:${port}`);
    t.after(() => cache.close());
    await assert.rejects(cache.connect(), { code: 'E_CONNECTION', message: new RegExp(`127.0.0.1:${port}.*ECONNREFUSED`) });
    const [value, ms] = await timed(() => cache.get('k'));
    assert.equal(value, undefined);
    assert.ok(ms < CONNECT_TIMEOUT, `took ${ms} ms`);
  });

  it('a node that accepts but never answers: reads miss after the timeout with E_TIMEOUT', async (t) => {
    const hole = await startBlackHole();
    t.after(() => hole.close());
    const { cache, errors } = collectingCache(hole.address);
    t.after(() => cache.close());
    const [value, ms] = await timed(() => cache.get('k'));
    assert.equal(value, undefined);
    assert.ok(ms >= TIMEOUT - 20 && ms < CONNECT_TIMEOUT + TIMEOUT + 500, `took ${ms} ms`);
    assert.equal((errors[0]?.error as { code?: string }).code, 'E_TIMEOUT');
  });

  it('with ignoreErrors: false the typed error reaches the caller', async (t) => {
    const port = await freePort();
    const cache = new Cache({ backend: new MemcachedBackend({ servers: `127.0.0.1:${port}`, timeout: TIMEOUT, failureLimit: 1 }), ignoreErrors: false });
    t.after(() => cache.close());
    await assert.rejects(cache.get('k'), { code: 'E_CONNECTION' });
    await assert.rejects(cache.set('k', 1), { code: 'E_NODE_DEAD' });
  });

  it('garbage server lists and options fail construction with a message naming the option', () => {
    assert.throws(() => new MemcachedBackend({ servers: '' }), { code: 'E_INVALID_OPTION', message: /servers/ });
    assert.throws(() => new MemcachedBackend({ servers: 'host:notaport' }), { code: 'E_INVALID_OPTION', message: /host:notaport/ });
    assert.throws(() => new MemcachedBackend({ servers: 'host:99999' }), { code: 'E_INVALID_OPTION', message: /99999/ });
    assert.throws(() => new MemcachedBackend({ servers: 'host:11211:0' }), { code: 'E_INVALID_OPTION', message: /weight/ });
    assert.throws(() => new MemcachedBackend({ servers: 'a:1,,b:2:x' }), { code: 'E_INVALID_OPTION', message: /b:2:x/ });
    assert.throws(() => new MemcachedBackend({ servers: 'h:1', timeout: -1 }), { code: 'E_INVALID_OPTION', message: /timeout/ });
    assert.throws(() => new MemcachedBackend({ servers: 'h:1', username: 'only-user' }), { code: 'E_INVALID_OPTION', message: /password/ });
    assert.throws(() => new MemcachedBackend(undefined as never), { code: 'E_INVALID_OPTION' });
  });

});
