import { after, before } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { Cache, MemcachedBackend, type CacheOptions } from '../src/index.js';

/** Caches on one real memcached for a suite: started before it, every cache closed and the server stopped after it. */
export interface MemcachedCaches {
  /** The suite's memcached (valid inside tests). */
  readonly server: () => MemcachedServer;
  /** A quiet Cache on the suite's memcached with `options`, closed after the suite. */
  open(options?: CacheOptions): Cache;
  /** Closes `cache` after the suite too (a Cache the test built itself); returns it. */
  track(cache: Cache): Cache;
  /** A key no other test of the suite uses. */
  fresh(): string;
}

/** Registers the suite's before/after hooks; call inside `describe`. `protocol`: the wire protocol of the caches `open` makes. */
export function memcachedCaches(keyStem: string, protocol: 'binary' | 'meta' = 'binary'): MemcachedCaches {
  let server: MemcachedServer | undefined;
  const caches: Cache[] = [];
  let n = 0;
  before(async () => {
    server = await MemcachedServer.start();
  });
  after(async () => {
    await Promise.all(caches.map((cache) => cache.close()));
    await server?.stop();
  });
  return {
    server: () => server!,
    open(options = {}) {
      const cache = new Cache({ backend: new MemcachedBackend({ servers: server!.address, protocol }), logger: { warn() {} }, ...options });
      caches.push(cache);
      return cache;
    },
    track(cache) {
      caches.push(cache);
      return cache;
    },
    fresh: () => `${keyStem}-${++n}`,
  };
}
