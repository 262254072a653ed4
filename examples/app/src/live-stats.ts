// Shared by both example shops: examples/express-app imports this file too (the same live page, one home).
import type { Cache } from '@larder/core';
import { METRIC_NAMES } from '@larder/metrics';
import type { Registry } from 'prom-client';

/** One failure the page lists: when, which operation, which error code; never a key. */
export interface RecentFailure {
  at: string;
  operation: string;
  code: string;
}

/** What the live /stats page shows, read from the same Prometheus registry /metrics serves. */
export interface LiveStats {
  /** When the numbers were read (server clock, Unix ms): the page computes rates between two reads. */
  at: number;
  cache: { backend: string; hits: number; misses: number; nearHits: number; errors: number; hitRatio: number | null };
  routes: Array<{ route: string; hit: number; miss: number; stale: number; bypass: number; hitRatio: number | null }>;
  servers: Array<{ server: string; up: boolean }>;
  sessions: { reads: number; writes: number; failures: number };
  failures: RecentFailure[];
}

const KEEP_FAILURES = 20;

/** Keeps the last failures of `cache` (operation and code only) for the page. */
export function recentFailures(cache: Cache): RecentFailure[] {
  const failures: RecentFailure[] = [];
  cache.on('error', ({ operation, error }) => {
    failures.unshift({ at: new Date().toISOString(), operation, code: (error as Error & { code?: string }).code ?? error.name });
    failures.length = Math.min(failures.length, KEEP_FAILURES);
  });
  return failures;
}

/** The page's numbers, from a scrape of `registry` (the counters are brought up to date by it). */
export async function liveStats(registry: Registry, backend: string, failures: readonly RecentFailure[]): Promise<LiveStats> {
  const metrics = await registry.getMetricsAsJSON();
  const series = (name: string) => metrics.find((metric) => metric.name === name)?.values ?? [];
  const total = (name: string) => series(name).reduce((sum, value) => sum + value.value, 0);
  const hits = total(METRIC_NAMES.hits);
  const misses = total(METRIC_NAMES.misses);
  const routes = new Map<string, LiveStats['routes'][number]>();
  for (const { labels, value } of series(METRIC_NAMES.viewRequests)) {
    const route = String(labels.route);
    const row = routes.get(route) ?? { route, hit: 0, miss: 0, stale: 0, bypass: 0, hitRatio: null };
    row[labels.result as 'hit' | 'miss' | 'stale' | 'bypass'] += value;
    routes.set(route, row);
  }
  for (const row of routes.values()) {
    const answered = row.hit + row.miss + row.stale;
    row.hitRatio = answered === 0 ? null : (row.hit + row.stale) / answered;
  }
  return {
    at: Date.now(),
    cache: { backend, hits, misses, nearHits: total(METRIC_NAMES.nearHits), errors: total(METRIC_NAMES.errors), hitRatio: hits + misses === 0 ? null : hits / (hits + misses) },
    routes: [...routes.values()],
    servers: series(METRIC_NAMES.serverUp).map(({ labels, value }) => ({ server: String(labels.server), up: value === 1 })),
    sessions: { reads: total(METRIC_NAMES.sessionReads), writes: total(METRIC_NAMES.sessionWrites), failures: total(METRIC_NAMES.sessionFailures) },
    failures: [...failures],
  };
}

/** One reading of the totals the chart plots. */
export interface StatsSample {
  at: number;
  hits: number;
  misses: number;
}

/**
 * The last 61 per-second readings of the cache's hit and miss totals, taken in the background
 * (an unref'd timer, stopped by `stop()`), so the /stats chart opens with the last minute
 * already drawn instead of an empty box.
 */
export function statsHistory(read: () => Promise<{ hits: number; misses: number }>): { samples: StatsSample[]; stop(): void } {
  const samples: StatsSample[] = [];
  const take = async (): Promise<void> => {
    try {
      const { hits, misses } = await read();
      samples.push({ at: Date.now(), hits, misses });
      if (samples.length > 61) samples.shift();
    } catch {
      // a failed reading leaves a gap; the next one closes it
    }
  };
  void take();
  const timer = setInterval(() => void take(), 1000);
  timer.unref();
  return { samples, stop: () => clearInterval(timer) };
}
