import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { lineChart, type ChartSpec, type Series } from '../plot/svg-chart.js';
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
 * Writes `<plotsDir>/<name>.svg` (the chart), `<name>-ratio.svg` when given a ratio chart, and
 * `<name>.json` (the chart's points, `raw` data and the settings), and prints the table as
 * Markdown on stdout under a heading, with links to the plots.
 */
export function writeCurve(settings: CurveSettings, name: string, chart: ChartSpec, table: CurveTable, raw: unknown, ratioChart?: ChartSpec): void {
  mkdirSync(settings.plotsDir, { recursive: true });
  const svgPath = join(settings.plotsDir, `${name}.svg`);
  writeFileSync(svgPath, lineChart(chart));
  if (ratioChart) writeFileSync(join(settings.plotsDir, `${name}-ratio.svg`), lineChart(ratioChart));
  const { quick, durationS, rounds, failoverS } = settings;
  const json = { name, title: chart.title, run: runDescription(settings), settings: { quick, durationS, rounds, failoverS }, series: chart.series, markers: chart.markers ?? [], raw };
  writeFileSync(join(settings.plotsDir, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  const ratioLink = ratioChart ? ['', `![${ratioChart.title}](plots/${name}-ratio.svg)`] : [];
  console.log([`### ${chart.title}`, '', `![${chart.title}](plots/${name}.svg)`, ...ratioLink, '', toMarkdownTable(table), ''].join('\n'));
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

/** Ratio series of `series` against the one named `baseline` (same x values), with a dashed 1.0x line. */
export function ratioSeries(series: readonly Series[], baseline: string): Series[] {
  const base = new Map(series.find((s) => s.name === baseline)!.points.map(([x, y]) => [x, y]));
  const ratios = series.filter((s) => s.name !== baseline).map((s) => ({ name: `${s.name} / ${baseline}`, points: s.points.map(([x, y]) => [x, y / base.get(x)!] as [number, number]) }));
  const xs = [...base.keys()];
  return [...ratios, { name: `1.0x: as fast as the ${baseline}`, points: [[Math.min(...xs), 1], [Math.max(...xs), 1]], dashed: true }];
}

/** A ratio as `0.87x`. */
export function times(value: number): string {
  return `${value.toFixed(2)}x`;
}
