import { compactNumber, makeScale } from './scale.js';

/** One labelled line: its points as [x, y] pairs, drawn in the order given. */
export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** Drawn dashed, for a reference line such as "value size". */
  readonly dashed?: boolean;
}

/** One axis: its label and unit, log or linear, optional fixed bounds, ticks and tick labels. */
export interface Axis {
  readonly label: string;
  readonly unit?: string;
  readonly log?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly ticks?: readonly number[];
  /** Tick label of a value (default: 1.5k, 20M, ...). */
  readonly format?: (value: number) => string;
}

/** A vertical line at one x value, labelled (a node kill, a restart). */
export interface Marker {
  readonly x: number;
  readonly label: string;
}

/** Everything a line chart shows. */
export interface ChartSpec {
  readonly title: string;
  /** A second, smaller line under the title (machine, settings). */
  readonly subtitle?: string;
  readonly x: Axis;
  readonly y: Axis;
  readonly series: readonly Series[];
  readonly markers?: readonly Marker[];
  readonly width?: number;
  readonly height?: number;
}

// Okabe-Ito: distinguishable with the common colour-vision deficiencies.
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const MARGIN = { top: 48, right: 24, bottom: 56, left: 80 };
const LEGEND_ROW = 18;

/** A self-contained SVG line chart (no script, no external font or style) of `spec`. */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 760;
  const legendHeight = spec.series.length * LEGEND_ROW + 8;
  const subtitle = wrap(spec.subtitle ?? '', Math.floor(width / 6));
  const height = (spec.height ?? 420) + legendHeight + subtitle.length * 14;
  const plot = { left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top + subtitle.length * 14, bottom: height - MARGIN.bottom - legendHeight };
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0])).concat((spec.markers ?? []).map((m) => m.x));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]));
  const x = makeScale(xs, plot.left, plot.right, { log: spec.x.log, min: spec.x.min ?? (spec.x.log || xs.length === 0 ? undefined : Math.min(...xs)), max: spec.x.max, ticks: spec.x.ticks });
  const y = makeScale(ys, plot.bottom, plot.top, { log: spec.y.log, min: spec.y.min, max: spec.y.max, ticks: spec.y.ticks });
  const fx = spec.x.format ?? compactNumber;
  const fy = spec.y.format ?? compactNumber;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escape(spec.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escape(spec.title)}</text>`,
  ];
  for (const [i, line] of subtitle.entries()) {
    out.push(`<text class="subtitle" x="${width / 2}" y="${42 + i * 14}" text-anchor="middle" font-size="11" fill="#555555">${escape(line)}</text>`);
  }
  out.push('<g class="grid" stroke="#e4e4e4" stroke-width="1">');
  for (const t of x.ticks) out.push(`<line x1="${r(x.at(t))}" y1="${plot.top}" x2="${r(x.at(t))}" y2="${plot.bottom}"/>`);
  for (const t of y.ticks) out.push(`<line x1="${plot.left}" y1="${r(y.at(t))}" x2="${plot.right}" y2="${r(y.at(t))}"/>`);
  out.push('</g>');
  out.push(`<rect class="frame" x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#888888"/>`);
  out.push('<g class="x-ticks" text-anchor="middle" fill="#333333">');
  for (const t of x.ticks) out.push(`<text x="${r(x.at(t))}" y="${plot.bottom + 16}">${escape(fx(t))}</text>`);
  out.push('</g><g class="y-ticks" text-anchor="end" fill="#333333">');
  for (const t of y.ticks) out.push(`<text x="${plot.left - 6}" y="${r(y.at(t) + 4)}">${escape(fy(t))}</text>`);
  out.push('</g>');
  out.push(`<text class="x-label" x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 38}" text-anchor="middle">${escape(axisTitle(spec.x))}</text>`);
  const yMid = (plot.top + plot.bottom) / 2;
  out.push(`<text class="y-label" x="18" y="${yMid}" text-anchor="middle" transform="rotate(-90 18 ${yMid})">${escape(axisTitle(spec.y))}</text>`);
  let lastLabel = -Infinity;
  for (const marker of [...(spec.markers ?? [])].sort((a, b) => a.x - b.x)) {
    const mx = r(x.at(marker.x));
    // Labels run down beside their line, on its right; a label that would overlap the previous one goes on the left.
    const tx = mx - lastLabel < 14 ? mx - 14 : mx + 4;
    lastLabel = tx;
    out.push(
      `<g class="marker"><line x1="${mx}" y1="${plot.top}" x2="${mx}" y2="${plot.bottom}" stroke="#444444" stroke-dasharray="2 3"/>` +
        `<text x="${tx}" y="${plot.top + 8}" font-size="11" fill="#444444" transform="rotate(90 ${tx} ${plot.top + 8})">${escape(marker.label)}</text></g>`,
    );
  }
  for (const [i, series] of spec.series.entries()) {
    const colour = COLOURS[i % COLOURS.length]!;
    const points = series.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py) && (!spec.y.log || py > 0));
    const coords = points.map(([px, py]) => `${r(x.at(px))},${r(y.at(py))}`);
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<g class="series" data-name="${escape(series.name)}" stroke="${colour}" fill="${colour}">`);
    out.push(`<polyline points="${coords.join(' ')}" fill="none" stroke-width="2"${dash}/>`);
    if (points.length <= 40) for (const c of coords) out.push(`<circle cx="${c.split(',')[0]}" cy="${c.split(',')[1]}" r="3"/>`);
    out.push('</g>');
  }
  out.push('<g class="legend">');
  for (const [i, series] of spec.series.entries()) {
    const ly = plot.bottom + 48 + (i + 1) * LEGEND_ROW;
    const colour = COLOURS[i % COLOURS.length]!;
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<line x1="${plot.left}" y1="${ly - 4}" x2="${plot.left + 28}" y2="${ly - 4}" stroke="${colour}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${plot.left + 36}" y="${ly}">${escape(series.name)}</text>`);
  }
  out.push('</g>', '</svg>');
  return `${out.join('\n')}\n`;
}

function axisTitle(axis: Axis): string {
  return axis.unit ? `${axis.label} (${axis.unit})${axis.log ? ', log scale' : ''}` : `${axis.label}${axis.log ? ' (log scale)' : ''}`;
}

/** Splits `text` at spaces into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ').filter(Boolean)) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

function r(value: number): number {
  return Math.round(value * 10) / 10;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
