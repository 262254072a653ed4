/** A mapping from data values to pixels along one axis, with the ticks to label it. */
export interface Scale {
  /** Pixel position of a data value. */
  at(value: number): number;
  /** Data values to draw a tick and grid line at, inside the domain. */
  readonly ticks: readonly number[];
  readonly min: number;
  readonly max: number;
}

/** How to build a scale: the data's extent, a log or linear mapping, and optional fixed bounds or ticks. */
export interface ScaleOptions {
  readonly log?: boolean | undefined;
  readonly min?: number | undefined;
  readonly max?: number | undefined;
  readonly ticks?: readonly number[] | undefined;
}

/**
 * A scale over `values` onto the pixel range [from, to] (to < from for a y axis). Linear scales
 * start at 0 unless told otherwise and end on a round number; log scales span whole 1-2-5 steps;
 * given ticks set the bounds instead, widened to the data.
 */
export function makeScale(values: readonly number[], from: number, to: number, options: ScaleOptions = {}): Scale {
  const log = options.log === true;
  const usable = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  const dataMin = usable.length > 0 ? Math.min(...usable) : log ? 1 : 0;
  const dataMax = usable.length > 0 ? Math.max(...usable) : log ? 10 : 1;
  // Given ticks bound the axis (extended to the data): page sizes 1..512 end at 512, not 1000.
  const ticks = options.ticks;
  const tickMin = ticks && ticks.length > 0 ? Math.min(dataMin, ...ticks) : undefined;
  const tickMax = ticks && ticks.length > 0 ? Math.max(dataMax, ...ticks) : undefined;
  let min = options.min ?? tickMin ?? (log ? stepBelow(dataMin) : Math.min(0, dataMin));
  let max = options.max ?? tickMax ?? niceCeiling(dataMax);
  if (max <= min) max = log ? min * 10 : min + 1;
  if (log && min <= 0) min = max / 1000;
  const project = log ? Math.log10 : (v: number) => v;
  const lo = project(min);
  const span = project(max) - lo;
  const at = (value: number) => from + ((project(log ? Math.max(value, min) : value) - lo) / span) * (to - from);
  return { at, ticks: (ticks ?? (log ? logTicks(min, max) : linearTicks(min, max))).filter((t) => t >= min && t <= max), min, max };
}

/** Round tick values every 1, 2 or 5 × 10^k, about six of them. */
function linearTicks(min: number, max: number): number[] {
  const raw = (max - min) / 6;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step / 1e9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Decades; with 2 and 5 between them when the range spans fewer than three decades. */
function logTicks(min: number, max: number): number[] {
  const multiples = Math.log10(max / min) < 3 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of multiples) ticks.push(Number((m * 10 ** e).toPrecision(12)));
  }
  return ticks;
}

/** The smallest 1, 2, 5, 10 × 10^k at or above `value`. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= value * (1 - 1e-12)) ?? value);
}

/** The largest 1, 2, 5 × 10^k at or below `value` (> 0). */
function stepBelow(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [5, 2, 1].map((m) => m * magnitude).find((s) => s <= value * (1 + 1e-12)) ?? magnitude;
}

/** A short label for an axis value: 1.5k, 20M, 0.25, 512. */
export function compactNumber(value: number): string {
  const abs = Math.abs(value);
  const trim = (v: number) => String(Number(v.toPrecision(3)));
  if (abs >= 1e9) return `${trim(value / 1e9)}G`;
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e4) return `${trim(value / 1e3)}k`;
  return trim(value);
}
