import { Cache, MemcachedBackend, MemoryBackend, type Backend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import larder, { type LarderPluginOptions } from '../src/index.js';

/** A quiet logger for caches under test. */
export const quiet = { warn: () => {} };

/** A backend for a suite, and how to dispose of it. */
export interface SuiteBackend {
  name: string;
  make(): Promise<{ backend: Backend; server?: MemcachedServer; dispose(): Promise<void> }>;
}

/** The backends every plugin suite runs on: memory and a real memcached from the harness. */
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

/** A Fastify app with Larder registered on `cache` (the test closes the cache). */
export async function buildApp(cache: Cache, options: Omit<LarderPluginOptions, 'cache'> = {}): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(larder, { ...options, cache });
  return app;
}

/** A Cache on `backend` with a quiet logger. */
export function quietCache(backend: Backend, keyPrefix = ''): Cache {
  return new Cache({ backend, keyPrefix, logger: quiet });
}
