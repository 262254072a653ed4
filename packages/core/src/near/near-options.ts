import { InvalidOptionError } from '../errors.js';
import { parseDurationOption, type Duration } from '../duration.js';
import { OptionNames } from '../option-names.js';

/** The near cache of a Cache: hot values kept decoded in this process, for a bounded time. */
export interface NearCacheOptions {
  /** How long a value read from the backend is served from memory, seconds or `'500ms'`-style (default `'2s'`): another process's write shows here within it. */
  ttl?: number | Duration;
  /** Entries held at most (default 10,000). */
  maxItems?: number;
  /** Estimated bytes held at most (default 32 MiB); a value over a quarter of it is never held. */
  maxBytes?: number;
  /** How long a namespace or tag version read from the backend is trusted (default: `ttl`; 0 = on every read): another process's `clear()` or `invalidateTags` shows here within it. */
  checkInterval?: number | Duration;
}

/** NearCacheOptions checked, in milliseconds. */
export interface NearCacheSettings {
  readonly ttlMs: number;
  readonly maxItems: number;
  readonly maxBytes: number;
  readonly checkIntervalMs: number;
}

const NEAR_OPTIONS = new OptionNames('the near cache', ['ttl', 'maxItems', 'maxBytes', 'checkInterval']);

/** The checked settings of the `near` option; an E_INVALID_OPTION names what is wrong. */
export function toNearCacheSettings(options: NearCacheOptions | true): NearCacheSettings {
  const given: NearCacheOptions = options === true ? {} : options;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new InvalidOptionError('near', 'must be true or { ttl, maxItems, maxBytes, checkInterval }');
  NEAR_OPTIONS.check(given, 'near.');
  const ttlMs = parseDurationOption('near.ttl', given.ttl ?? '2s', 's');
  return {
    ttlMs,
    maxItems: count('near.maxItems', given.maxItems ?? 10_000),
    maxBytes: count('near.maxBytes', given.maxBytes ?? 32 * 1024 * 1024),
    checkIntervalMs: given.checkInterval === undefined ? ttlMs : given.checkInterval === 0 ? 0 : parseDurationOption('near.checkInterval', given.checkInterval, 's'),
  };
}

function count(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new InvalidOptionError(option, `must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}
