import { fileURLToPath } from 'node:url';

/**
 * Settings of the curve sections, from the environment:
 * - LARDER_BENCH_QUICK=1: a smoke run (1 s samples, 1 round, short failover run), written under
 *   .larder-tmp/plots-quick unless LARDER_BENCH_PLOTS says otherwise, never over the committed plots;
 * - LARDER_BENCH_DURATION: seconds of load per HTTP sample (default 3; quick 1);
 * - LARDER_BENCH_ROUNDS: interleaved rounds, the median of which is kept (default 3; quick 1);
 * - LARDER_BENCH_FAILOVER_S: length of the node-kill run in seconds (default 24; quick 6);
 * - LARDER_BENCH_PLOTS: folder the SVG and JSON files go to (default bench/plots).
 */
export interface CurveSettings {
  readonly quick: boolean;
  readonly durationS: number;
  readonly rounds: number;
  readonly failoverS: number;
  readonly plotsDir: string;
}

/** The settings of this run. */
export function curveSettings(env: NodeJS.ProcessEnv = process.env): CurveSettings {
  const quick = env.LARDER_BENCH_QUICK === '1';
  const defaultDir = quick ? '../../../.larder-tmp/plots-quick' : '../../plots';
  return {
    quick,
    durationS: positive(env, 'LARDER_BENCH_DURATION', quick ? 1 : 3),
    rounds: Math.round(positive(env, 'LARDER_BENCH_ROUNDS', quick ? 1 : 3)),
    failoverS: positive(env, 'LARDER_BENCH_FAILOVER_S', quick ? 6 : 24),
    plotsDir: env.LARDER_BENCH_PLOTS ?? fileURLToPath(new URL(defaultDir, import.meta.url)),
  };
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}
