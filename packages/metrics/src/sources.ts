import type { Cache } from '@larder/core';

/** What the metrics read of a Fastify app with @larder/fastify-plugin (`app.viewCacheStats()`), without importing Fastify. */
export interface ViewStatsSource {
  viewCacheStats(): ReadonlyArray<{ readonly route: string; readonly hits: number; readonly misses: number; readonly stale: number; readonly bypasses: number }>;
}

/** What the metrics read of a session store (`MemcachedStore.stats()`), without importing it. */
export interface SessionStatsSource {
  stats(): { readonly reads: number; readonly writes: number; readonly badSessions: number; readonly rejectedSessions: number; readonly readFailures: number; readonly writeFailures: number; readonly touchFailures: number };
}

/** A memcached backend's servers and whether each is in service (`MemcachedBackend.serverStates()`). */
export interface ServerStatesSource {
  serverStates(): ReadonlyArray<{ readonly server: string; readonly inService: boolean }>;
}

/** The memcached servers behind `cache`, when its backend can say. */
export function serverStatesOf(cache: Cache): ServerStatesSource | undefined {
  const backend = cache.backend as Partial<ServerStatesSource>;
  return typeof backend.serverStates === 'function' ? (backend as ServerStatesSource) : undefined;
}
