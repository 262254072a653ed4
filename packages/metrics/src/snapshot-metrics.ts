import type { Counter, Gauge } from 'prom-client';

/** One series of a counter read from a snapshot (a `stats()` number that only grows). */
export interface CountedSeries {
  readonly labels: Record<string, string>;
  readonly read: () => number;
  last: number;
}

/** One series of a gauge read when scraped. */
export interface GaugedSeries {
  readonly labels: Record<string, string>;
  readonly read: () => number | undefined;
}

/**
 * Brings a counter up to date from its sources when it is scraped: the hot path keeps counting
 * in plain numbers (`stats()`), and metrics cost nothing per request. A source that went back
 * (a restarted store) starts again from its new value.
 */
export function collectCounted(counter: Counter, series: Iterable<CountedSeries>): void {
  for (const one of series) {
    const now = one.read();
    // An increment of 0 still makes the series: a counter that is 0 is scraped as 0, not left out.
    counter.inc(one.labels, now > one.last ? now - one.last : 0);
    one.last = now;
  }
}

/** Sets a gauge from its sources when it is scraped; a source with nothing to say is left out. */
export function collectGauged(gauge: Gauge, series: Iterable<GaugedSeries>): void {
  gauge.reset();
  for (const one of series) {
    const value = one.read();
    if (value !== undefined) gauge.set(one.labels, value);
  }
}
