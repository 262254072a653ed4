import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { cacheFromEnv, LarderError, MemcachedBackend } from '../src/index.js';
import { chooseBackendFromEnv } from '../src/opening/from-env.js';
import { backendConformance } from '../src/conformance.js';
import { TlsError } from '../src/memcached.js';

const sleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

backendConformance('MemcachedBackend over TLS (memcached -Z)', async () => {
  const server = await MemcachedServer.start({ tls: true });
  return {
    backend: new MemcachedBackend({ servers: server.address, tls: { ca: server.certificates!.ca } }),
    fakeClock: false,
    advance: sleep,
    dispose: () => server.stop(),
  };
});

backendConformance('MemcachedBackend over TLS with SASL (memcached -Z -S)', async () => {
  const sasl = { username: 'larder', password: 'tls pass' };
  const server = await MemcachedServer.start({ tls: true, sasl });
  return {
    backend: new MemcachedBackend({ servers: server.address, tls: { ca: server.certificates!.ca }, ...sasl }),
    fakeClock: false,
    advance: sleep,
    dispose: () => server.stop(),
  };
});

describe('TLS failures are typed, name the server and TLS, and come within connectTimeout', () => {
  let tlsServer: MemcachedServer;
  let plainServer: MemcachedServer;
  before(async () => {
    [tlsServer, plainServer] = await Promise.all([MemcachedServer.start({ tls: { verifyClients: true } }), MemcachedServer.start()]);
  });
  after(() => Promise.all([tlsServer.stop(), plainServer.stop()]));

  async function refusal(options: ConstructorParameters<typeof MemcachedBackend>[0]): Promise<{ error: TlsError; ms: number }> {
    const backend = new MemcachedBackend({ connectTimeout: 2000, ...options });
    const started = performance.now();
    try {
      await backend.connect();
    } catch (error) {
      return { error: error as TlsError, ms: performance.now() - started };
    } finally {
      await backend.close();
    }
    throw new Error('connect() succeeded');
  }

  it('a certificate from a CA the client does not trust', async () => {
    const clientCert = { cert: tlsServer.certificates!.clientCert, key: tlsServer.certificates!.clientKey };
    const { error, ms } = await refusal({ servers: tlsServer.address, tls: clientCert });
    assert.ok(error instanceof TlsError, String(error));
    assert.ok(error instanceof LarderError);
    assert.equal(error.code, 'E_CONNECTION');
    assert.equal(error.server, tlsServer.address);
    assert.match(error.message, new RegExp(`memcached ${tlsServer.address}: TLS handshake failed: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)`));
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  it('a certificate for another host name', async () => {
    const tls = { ca: tlsServer.certificates!.ca, cert: tlsServer.certificates!.clientCert, key: tlsServer.certificates!.clientKey, servername: 'cache.example.com' };
    const { error } = await refusal({ servers: tlsServer.address, tls });
    assert.ok(error instanceof TlsError, String(error));
    assert.equal(error.reason, 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('a server that does not speak TLS', async () => {
    const { error, ms } = await refusal({ servers: plainServer.address, tls: true });
    assert.ok(error instanceof TlsError, String(error));
    assert.match(error.message, /TLS handshake failed/);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  it('a client certificate, when the server asks for one, and its absence', async () => {
    const { ca, clientCert: cert, clientKey: key } = tlsServer.certificates!;
    const backend = new MemcachedBackend({ servers: tlsServer.address, tls: { ca, cert, key } });
    try {
      await backend.connect();
      assert.equal(await backend.set('tls-client', { value: Buffer.from('yes'), flags: 0 }, 60), true);
      assert.equal((await backend.get('tls-client'))?.value.toString(), 'yes');
    } finally {
      await backend.close();
    }
    const without = new MemcachedBackend({ servers: tlsServer.address, tls: { ca }, connectTimeout: 1000, timeout: 1000 });
    try {
      await assert.rejects(without.connect(), (error: unknown) => error instanceof LarderError && error.code === 'E_CONNECTION' && error.message.includes(tlsServer.address));
    } finally {
      await without.close();
    }
  });

  it('unknown TLS option names are E_INVALID_OPTION naming the known ones', () => {
    assert.throws(
      () => new MemcachedBackend({ servers: tlsServer.address, tls: { cafile: 'x' } as never }),
      (error: unknown) => error instanceof LarderError && error.code === 'E_INVALID_OPTION' && /cafile/.test(error.message) && /rejectUnauthorized/.test(error.message),
    );
    assert.throws(() => new MemcachedBackend({ servers: tlsServer.address, tls: { cert: 'x' } }), /tls.key/);
  });
});

describe('TLS from the environment', () => {
  let server: MemcachedServer;
  const sasl = { username: 'env-user', password: 'env pass' };
  before(async () => {
    server = await MemcachedServer.start({ tls: true, sasl });
  });
  after(() => server.stop());

  it('MEMCACHIER_TLS=1 with a CA file: SASL over TLS, said in the log line', async () => {
    const env = {
      MEMCACHIER_SERVERS: server.address,
      MEMCACHIER_USERNAME: sasl.username,
      MEMCACHIER_PASSWORD: sasl.password,
      MEMCACHIER_TLS: '1',
      MEMCACHIER_TLS_CA_FILE: server.certificates!.caFile,
    };
    const lines: string[] = [];
    const cache = cacheFromEnv({ env, logger: { warn: (m) => lines.push(m) } });
    try {
      assert.equal(await cache.set('env-tls', 'over tls'), true);
      assert.equal(await cache.get('env-tls'), 'over tls');
      assert.match(lines[0]!, /over TLS as env-user \(from MEMCACHIER_SERVERS\)/);
      assert.ok(!lines[0]!.includes(sasl.password));
    } finally {
      await cache.close();
    }
  });

  it('MEMCACHED_TLS for a prefixed list, a CA file alone implies TLS, and bad values name the variable', () => {
    assert.deepEqual(chooseBackendFromEnv({ APP_MEMCACHED_SERVERS: 'a:1', MEMCACHED_TLS: 'yes' }, 'app'), { source: 'APP_MEMCACHED', servers: 'a:1', tls: true });
    assert.deepEqual(chooseBackendFromEnv({ MEMCACHED_SERVERS: 'a:1', MEMCACHED_TLS_CA_FILE: '/ca.pem' }), { source: 'MEMCACHED', servers: 'a:1', tlsCaFile: '/ca.pem' });
    assert.throws(() => chooseBackendFromEnv({ MEMCACHED_SERVERS: 'a:1', MEMCACHED_TLS: 'on please' }), (error: unknown) => error instanceof LarderError && error.code === 'E_INVALID_OPTION' && /MEMCACHED_TLS/.test(error.message));
    assert.throws(
      () => cacheFromEnv({ env: { MEMCACHED_SERVERS: 'a:1', MEMCACHED_TLS_CA_FILE: '/nonexistent/ca.pem' }, logger: { warn: () => {} } }),
      (error: unknown) => error instanceof LarderError && error.code === 'E_INVALID_OPTION' && /MEMCACHED_TLS_CA_FILE/.test(error.message),
    );
  });
});
