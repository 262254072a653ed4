import { InvalidArgumentError } from './errors.js';
import { parseTtl, type Ttl } from './ttl.js';

/** `set`/`write` options beyond a plain TTL. */
export interface WriteOptions {
  /** How long the value is fresh (default: the cache's defaultTtl). */
  ttl?: Ttl;
  /** Keep it this long past `ttl` in a grace envelope, for getOrSet to serve stale (default 0: stored as it is). */
  grace?: Ttl;
}

/** A TTL, or the options object. */
export type WriteOption = Ttl | WriteOptions;

/** A WriteOptions object checked: `ttl` as given, `grace` in seconds. */
export function toWriteOptions(option: WriteOptions): { ttl: Ttl | undefined; grace: number } {
  if (Array.isArray(option)) throw new InvalidArgumentError('a write takes a ttl or { ttl, grace }, got an array');
  for (const name of Object.keys(option)) {
    if (name !== 'ttl' && name !== 'grace') throw new InvalidArgumentError(`a write takes a ttl or { ttl, grace }, not ${JSON.stringify(name)}`);
  }
  return { ttl: option.ttl, grace: option.grace === undefined ? 0 : parseTtl(option.grace, 'grace') };
}
