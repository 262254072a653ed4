import { MemcachedServer, metaTtl } from '@larder/testing';
import { MemcachedBackend } from '../src/index.js';
import { backendConformance } from '../src/conformance.js';

const sleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

backendConformance('MemcachedBackend on plain memcached', async () => {
  const server = await MemcachedServer.start();
  return {
    backend: new MemcachedBackend({ servers: server.address }),
    fakeClock: false,
    advance: sleep,
    remainingTtl: (key) => metaTtl(server.host, server.port, key),
    dispose: () => server.stop(),
  };
});

backendConformance('MemcachedBackend on SASL memcached', async () => {
  const sasl = { username: 'larder', password: 's3cret pass' };
  const server = await MemcachedServer.start({ sasl });
  return {
    backend: new MemcachedBackend({ servers: [server.address], ...sasl }),
    fakeClock: false,
    advance: sleep,
    dispose: () => server.stop(),
  };
});
