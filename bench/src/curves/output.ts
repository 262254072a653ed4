import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { lineChart, type ChartSpec } from '../plot/svg-chart.js';
import type { CurveSettings } from './settings.js';

/** A table of a curve's data points: header cells and rows of cells. */
export interface CurveTable {
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

/** The machine and settings a curve was measured with, for its subtitle and JSON. */
export function runDescription(settings: CurveSettings): string {
  const quick = settings.quick ? 'QUICK smoke run, not for publishing; ' : '';
  return `${quick}${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

/**
 * Writes `<plotsDir>/<name>.svg` (the chart) and `<name>.json` (the chart's points, `raw` data and
 * the settings), and prints the table as Markdown on stdout under a `### name` heading.
 */
export function writeCurve(settings: CurveSettings, name: string, chart: ChartSpec, table: CurveTable, raw: unknown): void {
  mkdirSync(settings.plotsDir, { recursive: true });
  const svgPath = join(settings.plotsDir, `${name}.svg`);
  writeFileSync(svgPath, lineChart(chart));
  const { quick, durationS, rounds, failoverS } = settings;
  const json = { name, title: chart.title, run: runDescription(settings), settings: { quick, durationS, rounds, failoverS }, series: chart.series, markers: chart.markers ?? [], raw };
  writeFileSync(join(settings.plotsDir, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  console.log([`### ${chart.title}`, '', `![${chart.title}](plots/${name}.svg)`, '', toMarkdownTable(table), ''].join('\n'));
  console.error(`bench: wrote ${svgPath}`);
}

/** The table as Markdown. */
export function toMarkdownTable(table: CurveTable): string {
  return [`| ${table.columns.join(' | ')} |`, `|${table.columns.map(() => '---').join('|')}|`, ...table.rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** A whole number with thousands separators. */
export function whole(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A ratio as `0.87x`. */
export function times(value: number): string {
  return `${value.toFixed(2)}x`;
}
