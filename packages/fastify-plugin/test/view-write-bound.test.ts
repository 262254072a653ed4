import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Cache, MemoryBackend, type Backend, type StoredItem } from '@larder/core';
import { buildApp, quiet } from './build-app.js';

/** A memory backend whose writes hang until `release()`: a memcached that stopped answering writes (fault injection). */
function hangingWrites(): { backend: Backend; writes: () => number; release: () => void } {
  const inner = new MemoryBackend();
  const waiting: Array<() => void> = [];
  let writes = 0;
  const backend = new Proxy(inner, {
    get(target, name) {
      // No synchronous fast path: the Cache must go through the (hanging) async set.
      if (name === 'getSync' || name === 'setSync') return undefined;
      if (name === 'set') {
        return (key: string, item: StoredItem, ttl: number) => {
          writes++;
          return new Promise<boolean>((resolve) => waiting.push(() => resolve(target.set(key, item, ttl) as unknown as boolean)));
        };
      }
      const value = Reflect.get(target, name, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { backend, writes: () => writes, release: () => waiting.splice(0).forEach((go) => go()) };
}

it('responses waiting for a hung cache are bounded in bytes: past 64 MiB they are sent but not queued', async (t) => {
  const { backend, writes, release } = hangingWrites();
  const cache = new Cache({ backend, logger: quiet });
  const app = await buildApp(cache);
  t.after(async () => {
    release();
    await app.close();
    await cache.close();
  });
  const page = 'x'.repeat(1024 * 1024); // 2 MiB in memory as a string
  app.get('/p/:n', { config: { cache: true } }, async () => page);
  const responses = await Promise.all(Array.from({ length: 40 }, (_, n) => app.inject(`/p/${n}`)));
  for (const response of responses) {
    assert.equal(response.statusCode, 200);
    assert.equal(response.body.length, page.length, 'every visitor still gets the page');
  }
  // 40 pages of just over 2 MiB each are about 80 MiB: only those within 64 MiB wait to be written.
  assert.ok(writes() >= 20 && writes() < 32, `writes queued: ${writes()}`);
  release();
});
