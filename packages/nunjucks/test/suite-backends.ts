import { Cache, MemcachedBackend, MemoryBackend, type Backend, type CacheOptions } from '@larder/core';
import { MemcachedServer } from '@larder/testing';

/** A quiet logger for caches under test. */
export const quiet = { warn: () => {} };

/** A backend for a suite, the memcached server behind it (if any), and how to dispose of both. */
export interface SuiteBackend {
  name: string;
  make(): Promise<{ backend: Backend; server?: MemcachedServer; dispose(): Promise<void> }>;
}

/** The backends every tag suite runs on: memory and a real memcached from the harness. */
export const suiteBackends: SuiteBackend[] = [
  { name: 'memory', make: async () => ({ backend: new MemoryBackend(), dispose: async () => {} }) },
  {
    name: 'memcached',
    make: async () => {
      const server = await MemcachedServer.start();
      return { backend: new MemcachedBackend({ servers: server.address, timeout: 300 }), server, dispose: () => server.stop() };
    },
  },
];

/** A Cache on `backend` with a quiet logger. */
export function quietCache(backend: Backend, options: Omit<CacheOptions, 'backend' | 'logger'> = {}): Cache {
  return new Cache({ ...options, backend, logger: quiet });
}
