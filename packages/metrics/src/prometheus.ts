import { InvalidArgumentError, type Cache, type CacheBackendEvent, type CacheErrorEvent, type CacheRecomputeEvent } from '@larder/core';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC_NAMES } from './metric-names.js';
import { collectCounted, collectGauged, type CountedSeries, type GaugedSeries } from './snapshot-metrics.js';
import { serverStatesOf, type SessionStatsSource, type ViewStatsSource } from './sources.js';

/** Options of `larderMetrics`. */
export interface LarderMetricsOptions {
  /** The prom-client registry to register in (yours, beside fastify-metrics or express-prom-bundle). */
  registry: Registry;
}

/** Options of one observed source. */
export interface ObserveOptions {
  /** The `cache` label of its series (default `'default'`); one name per source. */
  name?: string;
}

const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CACHE_COUNTERS = [
  ['hits', 'Reads that found a value (near hits included)'],
  ['misses', 'Reads that found no fresh value (failures included)'],
  ['nearHits', 'Reads answered from the near cache'],
  ['nearMisses', 'Reads that looked in the near cache and went to the backend'],
  ['stale', 'Stale values served (past their ttl, within grace)'],
  ['sets', 'Values written'],
  ['deletes', 'Keys deleted'],
  ['lockWaits', 'Misses on which this process waited for another process’s lock'],
] as const;
const VIEW_RESULTS = ['hits', 'misses', 'stale', 'bypasses'] as const;
const VIEW_LABEL = { hits: 'hit', misses: 'miss', stale: 'stale', bypasses: 'bypass' } as const;

/**
 * Larder's Prometheus metrics in one registry. Counters are brought up to date from each source's
 * `stats()` when scraped, so a request pays nothing for them; durations come from the Cache's
 * `backend` and `recompute` events (built only while someone listens). Labels are bounded: cache
 * names you give, operations, route patterns, server addresses; never a key or a session id.
 */
export class LarderMetrics {
  readonly #counted = new Map<string, CountedSeries[]>();
  readonly #gauged = new Map<string, GaugedSeries[]>();
  readonly #names = new Set<string>();
  // Run before a counter is collected: sources whose series appear over time (routes) add them here.
  readonly #before = new Map<string, Set<() => void>>();
  readonly #errors: Counter;
  readonly #backend: Histogram;
  readonly #recompute: Histogram;

  constructor(options: LarderMetricsOptions) {
    const registers = [options.registry];
    const counted = (key: string, name: string, help: string, labelNames: string[]) => {
      const series: CountedSeries[] = [];
      const before = new Set<() => void>();
      this.#counted.set(key, series);
      this.#before.set(key, before);
      return new Counter({
        name,
        help,
        labelNames,
        registers,
        collect: function (this: Counter) {
          for (const refresh of before) refresh();
          collectCounted(this, series);
        },
      });
    };
    const gauged = (key: string, name: string, help: string, labelNames: string[]) => {
      const series: GaugedSeries[] = [];
      this.#gauged.set(key, series);
      return new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect: function (this: Gauge) {
          collectGauged(this, series);
        },
      });
    };
    for (const [stat, help] of CACHE_COUNTERS) counted(stat, METRIC_NAMES[stat], help, ['cache']);
    counted('views', METRIC_NAMES.viewRequests, 'Requests to view-cached routes by x-cache result', ['cache', 'route', 'result']);
    counted('sessionReads', METRIC_NAMES.sessionReads, 'Sessions read', ['store']);
    counted('sessionWrites', METRIC_NAMES.sessionWrites, 'Sessions written', ['store']);
    counted('sessionFailures', METRIC_NAMES.sessionFailures, 'Session reads, writes and touches that failed', ['store', 'operation']);
    counted('sessionUnreadable', METRIC_NAMES.sessionUnreadable, 'Stored values read as no session (not a session, or a sealed one that did not open)', ['store', 'reason']);
    gauged('hitRatio', METRIC_NAMES.hitRatio, 'hits / (hits + misses) since the cache was created', ['cache']);
    gauged('nearItems', METRIC_NAMES.nearItems, 'Entries in the near cache', ['cache']);
    gauged('nearBytes', METRIC_NAMES.nearBytes, 'Estimated bytes in the near cache', ['cache']);
    gauged('nearHitRatio', METRIC_NAMES.nearHitRatio, 'nearHits / (nearHits + nearMisses) since the cache was created', ['cache']);
    gauged('serverUp', METRIC_NAMES.serverUp, '1 while a memcached server is in the ring, 0 while it is out', ['cache', 'server']);
    this.#errors = new Counter({ name: METRIC_NAMES.errors, help: 'Backend failures and undecodable values, by operation', labelNames: ['cache', 'operation'], registers });
    this.#backend = new Histogram({ name: METRIC_NAMES.backendDuration, help: 'Backend calls of reads and writes, in seconds', labelNames: ['cache', 'operation', 'outcome'], buckets: SECONDS_BUCKETS, registers });
    this.#recompute = new Histogram({ name: METRIC_NAMES.recomputeDuration, help: 'getOrSet factory runs (memoize, fragments), in seconds', labelNames: ['cache', 'outcome'], buckets: SECONDS_BUCKETS, registers });
  }

  /** Counts what `cache` does under the label `cache="<name>"`; returns a function that stops it. */
  observeCache(cache: Cache, options: ObserveOptions = {}): () => void {
    const name = this.#claim('cache', options.name);
    const labels = { cache: name };
    const stats = () => cache.stats();
    const added: Array<[string, CountedSeries | GaugedSeries]> = [];
    for (const [stat] of CACHE_COUNTERS) added.push([stat, { labels, read: () => stats()[stat], last: 0 }]);
    added.push(['hitRatio', { labels, read: () => ratio(stats()) }]);
    added.push(['nearItems', { labels, read: () => stats().near?.items }]);
    added.push(['nearBytes', { labels, read: () => stats().near?.bytes }]);
    added.push(['nearHitRatio', { labels, read: () => nearRatio(stats()) }]);
    const servers = serverStatesOf(cache);
    if (servers !== undefined) {
      for (const { server } of servers.serverStates()) {
        added.push(['serverUp', { labels: { cache: name, server }, read: () => (servers.serverStates().find((state) => state.server === server)?.inService ? 1 : 0) }]);
      }
    }
    this.#add(added);
    const backendTimers = new Map<string, Histogram.Internal<string>>();
    const onBackend = (event: CacheBackendEvent) => {
      const label = `${event.operation}\n${event.ok}`;
      let timer = backendTimers.get(label);
      if (timer === undefined) backendTimers.set(label, (timer = this.#backend.labels({ cache: name, operation: event.operation, outcome: event.ok ? 'ok' : 'error' })));
      timer.observe(event.ms / 1000);
    };
    const onRecompute = (event: CacheRecomputeEvent) => this.#recompute.observe({ cache: name, outcome: event.ok ? 'ok' : 'error' }, event.ms / 1000);
    const onError = (event: CacheErrorEvent) => this.#errors.inc({ cache: name, operation: event.operation });
    const off = [cache.on('backend', onBackend), cache.on('recompute', onRecompute), cache.on('error', onError)];
    return () => {
      for (const stop of off) stop();
      this.#remove(added);
      this.#names.delete(`cache\n${name}`);
    };
  }

  /** Counts each view-cached route's requests by result (hit, miss, stale, bypass), labelled by route pattern; returns a function that stops it. */
  observeViews(app: ViewStatsSource, options: ObserveOptions = {}): () => void {
    const name = this.#claim('views', options.name);
    const series = new Map<string, CountedSeries>();
    const views = this.#counted.get('views')!;
    const before = this.#before.get('views')!;
    // Routes are registered until the app is ready: the ones there at each scrape are counted.
    const sync = () => {
      for (const row of app.viewCacheStats()) {
        for (const result of VIEW_RESULTS) {
          const id = `${row.route}\n${result}`;
          if (series.has(id)) continue;
          const read = () => app.viewCacheStats().find((r) => r.route === row.route)?.[result] ?? 0;
          const one: CountedSeries = { labels: { cache: name, route: row.route, result: VIEW_LABEL[result] }, read, last: 0 };
          series.set(id, one);
          views.push(one);
        }
      }
    };
    sync();
    before.add(sync);
    return () => {
      before.delete(sync);
      const gone = new Set(series.values());
      views.splice(0, views.length, ...views.filter((one) => !gone.has(one)));
      this.#names.delete(`views\n${name}`);
    };
  }

  /** Counts a session store's reads, writes, failures and unreadable sessions (never an id); returns a function that stops it. */
  observeSessions(store: SessionStatsSource, options: ObserveOptions = {}): () => void {
    const name = this.#claim('sessions', options.name);
    const labels = { store: name };
    const stats = () => store.stats();
    const added: Array<[string, CountedSeries]> = [
      ['sessionReads', { labels, read: () => stats().reads, last: 0 }],
      ['sessionWrites', { labels, read: () => stats().writes, last: 0 }],
      ['sessionFailures', { labels: { store: name, operation: 'read' }, read: () => stats().readFailures, last: 0 }],
      ['sessionFailures', { labels: { store: name, operation: 'write' }, read: () => stats().writeFailures, last: 0 }],
      ['sessionFailures', { labels: { store: name, operation: 'touch' }, read: () => stats().touchFailures, last: 0 }],
      ['sessionUnreadable', { labels: { store: name, reason: 'not-a-session' }, read: () => stats().badSessions, last: 0 }],
      ['sessionUnreadable', { labels: { store: name, reason: 'rejected' }, read: () => stats().rejectedSessions, last: 0 }],
    ];
    this.#add(added);
    return () => {
      this.#remove(added);
      this.#names.delete(`sessions\n${name}`);
    };
  }

  #claim(kind: string, given: string | undefined): string {
    const name = given ?? 'default';
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('a metrics name is a non-empty string');
    const id = `${kind}\n${name}`;
    if (this.#names.has(id)) throw new InvalidArgumentError(`${kind} named ${JSON.stringify(name)} are observed already: give each its own name`);
    this.#names.add(id);
    return name;
  }

  #add(added: ReadonlyArray<readonly [string, CountedSeries | GaugedSeries]>): void {
    for (const [key, one] of added) ((this.#counted.get(key) ?? this.#gauged.get(key)) as Array<CountedSeries | GaugedSeries>).push(one);
  }

  #remove(added: ReadonlyArray<readonly [string, CountedSeries | GaugedSeries]>): void {
    for (const [key, one] of added) {
      const list = (this.#counted.get(key) ?? this.#gauged.get(key)) as Array<CountedSeries | GaugedSeries>;
      const at = list.indexOf(one);
      if (at >= 0) list.splice(at, 1);
    }
  }
}

/** Larder's metrics in your prom-client `registry` (see LarderMetrics). */
export function larderMetrics(options: LarderMetricsOptions): LarderMetrics {
  return new LarderMetrics(options);
}

function nearRatio(stats: { nearHits: number; nearMisses: number; near: unknown }): number | undefined {
  const looked = stats.nearHits + stats.nearMisses;
  return stats.near === undefined || looked === 0 ? undefined : stats.nearHits / looked;
}

function ratio(stats: { hits: number; misses: number }): number | undefined {
  const reads = stats.hits + stats.misses;
  return reads === 0 ? undefined : stats.hits / reads;
}
