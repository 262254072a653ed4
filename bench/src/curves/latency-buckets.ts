/** Latencies of the responses that completed within one time bucket, and the failures in it. */
export interface Bucket {
  /** Start of the bucket, seconds from the start of the run. */
  readonly startS: number;
  readonly latenciesMs: number[];
  failures: number;
}

/** Summary of a set of latencies: count, p50, p99, max (ms); zeros when empty. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Collects response latencies into buckets of `widthMs` by the time they completed. */
export class LatencyBuckets {
  readonly buckets: Bucket[] = [];
  readonly #widthMs: number;
  readonly #startMs: number;

  constructor(widthMs: number, startMs: number) {
    this.#widthMs = widthMs;
    this.#startMs = startMs;
  }

  /** Records a response that completed at `nowMs` after `latencyMs`; `ok` false counts it as a failure too. */
  record(nowMs: number, latencyMs: number, ok: boolean): void {
    const bucket = this.#at(nowMs);
    bucket.latenciesMs.push(latencyMs);
    if (!ok) bucket.failures++;
  }

  /** Records a request that failed without a response (reset, timeout). */
  fail(nowMs: number): void {
    this.#at(nowMs).failures++;
  }

  #at(nowMs: number): Bucket {
    const index = Math.max(0, Math.floor((nowMs - this.#startMs) / this.#widthMs));
    while (this.buckets.length <= index) this.buckets.push({ startS: (this.buckets.length * this.#widthMs) / 1000, latenciesMs: [], failures: 0 });
    return this.buckets[index]!;
  }
}

/** Count, median, 99th percentile and maximum of `latencies` (nearest rank). */
export function summarize(latencies: readonly number[]): LatencySummary {
  if (latencies.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const sorted = [...latencies].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return { count: sorted.length, p50: rank(0.5), p99: rank(0.99), max: sorted[sorted.length - 1]! };
}
