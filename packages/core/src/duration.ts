import { InvalidOptionError } from './errors.js';

/** A duration option: a number in the option's own unit, or a string with a unit such as `'500ms'`, `'2s'`, `'1m'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm'}`;

/** The longest delay a Node timer holds (2^31 - 1 ms); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/;

/**
 * Reads a duration option into milliseconds, between 1 ms and 2^31 - 1 ms (what a timer can
 * hold). A number is taken in `numberUnit`; a string must carry its unit, so `'0.5'` is not
 * guessed at. Throws InvalidOptionError naming the option and the unit.
 */
export function parseDurationOption(option: string, value: unknown, numberUnit: 'ms' | 's'): number {
  const unitWord = numberUnit === 'ms' ? 'milliseconds' : 'seconds';
  const expected = `${unitWord} as a number, or a string like '500ms' or '2s', from 1 ms to ${MAX_TIMER_MS} ms`;
  let ms: number | undefined;
  if (typeof value === 'number') ms = value * UNIT_MS[numberUnit]!;
  else if (typeof value === 'string') {
    const match = DURATION.exec(value.trim());
    if (match) ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  if (ms === undefined || !Number.isFinite(ms) || ms < 1 || ms > MAX_TIMER_MS) {
    // memjs and pymemcache take timeouts in seconds: 0.5 there is 500 ms here.
    const hint =
      numberUnit === 'ms' && typeof value === 'number' && value > 0 && value < 1
        ? ` (it looks like seconds; "${option}" is in ms: write ${value * 1000} or '${value}s')`
        : '';
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    throw new InvalidOptionError(option, `must be ${expected}; got ${shown}${hint}`);
  }
  return ms;
}
