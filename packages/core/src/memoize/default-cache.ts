import type { MemoizeCache } from './memoize-cache.js';
import { InvalidOptionError } from '../errors.js';

let current: MemoizeCache | undefined;

/** Sets the cache `memoize()` uses when it is given none (the Fastify plugin calls this on register). */
export function setDefaultCache(cache: MemoizeCache | undefined): void {
  current = cache;
}

/** The default cache; a clear E_INVALID_OPTION error when none was set. */
export function getDefaultCache(): MemoizeCache {
  if (!current) {
    throw new InvalidOptionError('cache', 'memoize() got no cache and no default is set: pass { cache }, register @larder/fastify-plugin, or call setDefaultCache(cache)');
  }
  return current;
}

/** Forgets the default cache if it is still `cache` (a plugin closing its cache calls this). */
export function clearDefaultCache(cache: MemoizeCache): void {
  if (current === cache) current = undefined;
}
