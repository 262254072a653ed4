import autocannon from 'autocannon';

/** Connections autocannon keeps open in the HTTP benchmarks. */
export const CONNECTIONS = 50;
const DURATION_S = 4;
const ROUNDS = 3;

/** One URL to load, with the headers each request carries. */
export interface Target {
  url: string;
  headers?: Record<string, string>;
}

/** Requests per second of one target under autocannon; any non-2xx response fails the benchmark. */
async function requestsPerSecond(target: Target, duration = DURATION_S): Promise<number> {
  const result = await autocannon({ url: target.url, headers: target.headers ?? {}, connections: CONNECTIONS, duration });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${target.url}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  return result.requests.average;
}

/** Medians of interleaved rounds after a warm-up, so drift of the machine affects every target alike. */
export async function interleavedRates(targets: readonly Target[]): Promise<number[]> {
  for (const target of targets) await requestsPerSecond(target, 1);
  const samples: number[][] = targets.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, target] of targets.entries()) samples[i]!.push(await requestsPerSecond(target));
  }
  return samples.map((values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!);
}
