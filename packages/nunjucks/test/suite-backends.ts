import { Cache, type Backend, type CacheOptions } from '@larder/core';
import { suiteBackends as backendsFor, type SuiteBackend as CoreSuiteBackend } from '@larder/core/conformance';
import { MemcachedServer } from '@larder/testing';

/** A quiet logger for caches under test. */
export const quiet = { warn: () => {} };

/** A backend for a suite, the memcached server behind it (if any), and how to dispose of both. */
export type SuiteBackend = CoreSuiteBackend<MemcachedServer>;

/** The backends every tag suite runs on: memory and a real memcached from the harness. */
export const suiteBackends: SuiteBackend[] = backendsFor(() => MemcachedServer.start());

/** A Cache on `backend` with a quiet logger. */
export function quietCache(backend: Backend, options: Omit<CacheOptions, 'backend' | 'logger'> = {}): Cache {
  return new Cache({ ...options, backend, logger: quiet });
}
