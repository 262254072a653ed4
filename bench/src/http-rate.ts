import autocannon from 'autocannon';

/** Connections autocannon keeps open in the HTTP benchmarks. */
export const CONNECTIONS = 50;
const DURATION_S = 4;
const ROUNDS = 3;

/** One URL to load, with the headers each request carries. */
export interface Target {
  url: string;
  headers?: Record<string, string>;
  /** The status every response must have (default: any 2xx), e.g. 304 for conditional requests. */
  status?: number;
  /** Connections to keep open (default CONNECTIONS). */
  connections?: number;
}

/** Requests per second of one target under autocannon; a response of another status than expected fails the benchmark. */
async function requestsPerSecond(target: Target, duration = DURATION_S): Promise<number> {
  const result = await autocannon({ url: target.url, headers: target.headers ?? {}, connections: target.connections ?? CONNECTIONS, duration });
  if (result.errors > 0) throw new Error(`${target.url}: ${result.errors} errors`);
  if (target.status === undefined) {
    if (result.non2xx > 0) throw new Error(`${target.url}: ${result.non2xx} non-2xx responses`);
  } else {
    const counts: Record<string, { count?: number }> = result.statusCodeStats ?? {};
    const expected = counts[String(target.status)]?.count ?? 0;
    const total = Object.values(counts).reduce((sum, stats) => sum + (stats.count ?? 0), 0);
    if (expected !== total) throw new Error(`${target.url}: ${total - expected} of ${total} responses were not ${target.status}`);
  }
  return result.requests.average;
}

/**
 * Medians of interleaved rounds (3 unless told, of `duration` seconds each, 4 unless told) after
 * a warm-up (1 s per target unless told), so drift of the machine affects every target alike; every
 * other round runs them in reverse order.
 */
export async function interleavedRates(
  targets: readonly Target[],
  { rounds = ROUNDS, duration = DURATION_S, warmup = 1 }: { rounds?: number; duration?: number; warmup?: number } = {},
): Promise<number[]> {
  if (warmup > 0) for (const target of targets) await requestsPerSecond(target, warmup);
  const samples: number[][] = targets.map(() => []);
  for (let round = 0; round < rounds; round++) {
    // Every other round runs backwards, so no target always follows the same one (a route that
    // leaves garbage behind would otherwise tax the route after it in every round).
    for (let step = 0; step < targets.length; step++) {
      const i = round % 2 === 0 ? step : targets.length - 1 - step;
      samples[i]!.push(await requestsPerSecond(targets[i]!, duration));
    }
  }
  return samples.map((values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!);
}
