import { Cache, type Backend } from '@larder/core';
import { suiteBackends as backendsFor, type SuiteBackend as CoreSuiteBackend } from '@larder/core/conformance';
import { MemcachedServer } from '@larder/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import larder, { type LarderPluginOptions } from '../src/index.js';

/** A quiet logger for caches under test. */
export const quiet = { warn: () => {} };

/** A backend for a suite, the memcached server behind it (if any), and how to dispose of both. */
export type SuiteBackend = CoreSuiteBackend<MemcachedServer>;

/** The backends every plugin suite runs on: memory and a real memcached from the harness. */
export const suiteBackends: SuiteBackend[] = backendsFor(() => MemcachedServer.start());

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
