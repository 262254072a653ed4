import { InvalidArgumentError } from '../errors.js';
import { parseTtl, type Ttl } from '../ttl.js';

/** Entries for `setMany`: an object, a Map, or `[key, value]` pairs. */
export type CacheEntries = Record<string, unknown> | ReadonlyMap<string, unknown> | ReadonlyArray<readonly [string, unknown]>;

/** `setMany`'s entries as pairs; a usage error names what is wrong. */
export function toPairs(entries: CacheEntries): Array<readonly [string, unknown]> {
  if (Array.isArray(entries)) {
    for (const pair of entries as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new InvalidArgumentError('setMany takes [key, value] pairs, a Map or an object');
    }
    return entries as Array<readonly [string, unknown]>;
  }
  if (entries instanceof Map) return [...(entries as ReadonlyMap<string, unknown>)];
  if (entries === null || typeof entries !== 'object') {
    throw new InvalidArgumentError(`setMany takes [key, value] pairs, a Map or an object, got ${entries === null ? 'null' : typeof entries}`);
  }
  return Object.entries(entries);
}

/** A call's ttl in seconds; a usage error when it is neither seconds nor a duration. */
export function toSeconds(ttl: Ttl): number {
  if (typeof ttl !== 'number' && typeof ttl !== 'string') throw new InvalidArgumentError(`ttl must be seconds or a duration like '5m', got ${typeof ttl}`);
  return parseTtl(ttl);
}

/** An incr/decr delta as memcached's unsigned arithmetic takes it. */
export function toDelta(delta: number): bigint {
  if (!Number.isSafeInteger(delta)) throw new InvalidArgumentError(`incr/decr delta must be an integer, got ${typeof delta === 'number' ? delta : typeof delta}`);
  return BigInt(delta);
}
