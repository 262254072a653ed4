import { LarderError } from '@larder/core';
import type { CacheRule } from './cache-rule.js';
import type { HttpAdapter } from './http-adapter.js';
import { flaskQueryKey } from './keys/flask-query-key.js';
import { normalizePath } from './keys/normalize-path.js';
import { VIEW_KEY_PREFIX } from './view-key.js';

/**
 * The cache key (before the cache's prefix) of a request under `rule`: the route's own `key`, else
 * Flask-Caching's: `view/` + the normalised path, or with `queryString` the normalised path
 * followed by the hash of the sorted query arguments. Undefined when the request's path or query is
 * past the bounds the key functions keep (such a request is not cached; its handler runs).
 */
export function requestKey<Req extends object, Res>(rule: CacheRule<Req>, request: Req, adapter: HttpAdapter<Req, Res>): string | undefined {
  if (rule.key !== undefined) return rule.key(request);
  const url = adapter.url(request);
  const mark = url.indexOf('?');
  try {
    const path = normalizePath(mark === -1 ? url : url.slice(0, mark));
    return rule.queryString ? flaskQueryKey(path, mark === -1 ? '' : url.slice(mark + 1), rule.queryHash) : VIEW_KEY_PREFIX + path;
  } catch (error) {
    if (!(error instanceof LarderError)) throw error;
    adapter.log(request).debug(`larder: request not cached: ${error.message}`);
    return undefined;
  }
}
