/** One row of the results table. */
export interface ResultRow {
  readonly benchmark: string;
  readonly larder: string;
  readonly baseline: string;
  /** Larder relative to the baseline, in the direction the target is stated. */
  readonly ratio: number;
  /** The target as text, e.g. `>= 0.9x`. */
  readonly target: string;
  readonly met: boolean;
}

/** Formats a rate for the table. */
export function rate(opsPerSec: number, unit = 'ops/s'): string {
  return `${Math.round(opsPerSec).toLocaleString('en-US')} ${unit}`;
}

/** The results as a Markdown table. */
export function toMarkdown(rows: readonly ResultRow[]): string {
  const lines = [
    '| benchmark | Larder | baseline | ratio | target | met |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.benchmark} | ${r.larder} | ${r.baseline} | ${r.ratio.toFixed(2)}x | ${r.target} | ${r.met ? 'yes' : 'NO'} |`),
  ];
  return lines.join('\n');
}
