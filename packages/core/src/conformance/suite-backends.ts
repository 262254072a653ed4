import { after, before } from 'node:test';
import { MemcachedBackend } from '../backends/memcached/memcached-backend.js';
import { MemoryBackend } from '../backends/memory-backend.js';
import { Cache } from '../cache.js';
import type { CacheOptions } from '../options/cache-options.js';
import type { Backend } from '../types/backend.js';

/** A memcached the suite started (`MemcachedServer` from @larder/testing, or your own). */
export interface SuiteMemcached {
  readonly address: string;
  stop(): Promise<void>;
}

/** A backend a suite runs on: its name, and how to make one (with the server behind it, if any) and dispose of both. */
export interface SuiteBackend<S extends SuiteMemcached = SuiteMemcached> {
  readonly name: string;
  make(): Promise<{ backend: Backend; server?: S; dispose(): Promise<void> }>;
}

/**
 * The two backends a suite over a Cache runs on: memory, and a real memcached from
 * `startMemcached` (each `make` starts one; `dispose` stops it). The test helpers of
 * fastify-plugin, nunjucks and http share this list.
 */
export function suiteBackends<S extends SuiteMemcached>(startMemcached: () => Promise<S>): Array<SuiteBackend<S>> {
  return [
    { name: 'memory', make: async () => ({ backend: new MemoryBackend(), dispose: async () => {} }) },
    {
      name: 'memcached',
      make: async () => {
        const server = await startMemcached();
        return { backend: new MemcachedBackend({ servers: server.address, timeout: 300 }), server, dispose: () => server.stop() };
      },
    },
  ];
}

/**
 * A quiet Cache on a new backend of `backend` for the enclosing `describe`: made in a `before` and
 * handed to `use`, closed with the backend's server in an `after`. Call it before the describe's
 * own hooks, so that they find the cache made.
 */
export function suiteCache(backend: SuiteBackend, use: (cache: Cache) => void, options: Omit<CacheOptions, 'backend' | 'logger'> = {}): void {
  let made: Awaited<ReturnType<SuiteBackend['make']>> | undefined;
  let cache: Cache | undefined;
  before(async () => {
    made = await backend.make();
    cache = new Cache({ ...options, backend: made.backend, logger: { warn: () => {} } });
    use(cache);
  });
  after(async () => {
    await cache?.close();
    await made?.dispose();
  });
}
