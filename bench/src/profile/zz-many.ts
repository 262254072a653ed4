import { MemcachedServer } from '@larder/testing';
import { Cache, MemcachedBackend } from '@larder/core';
const server = await MemcachedServer.start();
const cache = new Cache({ backend: new MemcachedBackend({ servers: server.address }) });
const keys = Array.from({ length: 100 }, (_, i) => `bench:${i}`);
for (const k of keys) await cache.set(k, 'a typical cached string value of some length');
for (let r = 0; r < 4; r++) {
  const c0 = process.cpuUsage(); let t = performance.now();
  for (let i = 0; i < 2000; i++) await cache.getMany(keys);
  const c1 = process.cpuUsage(c0);
  console.log('getMany', (2000 / ((performance.now() - t) / 1000)).toFixed(0), 'batches/s; cpu µs/batch', ((c1.user + c1.system) / 2000).toFixed(1));
}
await cache.close(); await server.stop();
