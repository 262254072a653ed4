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
  const log = (why: string) => adapter.log(request).debug(`larder: request not cached: ${why}`);
  // An absolute-form target (`GET http://host/a`) names its own authority: not a page of ours to share.
  if (!url.startsWith('/')) return void log('its target is not a path');
  const mark = url.indexOf('?');
  try {
    const path = normalizePath(mark === -1 ? url : url.slice(0, mark));
    if (!rule.queryString) return VIEW_KEY_PREFIX + path;
    const query = mark === -1 ? '' : url.slice(mark + 1);
    // Flask decodes invalid UTF-8 to U+FFFD, so `%F1` and `%E1` would share a key while the app
    // reads them apart: such queries are not cached.
    if (query.includes('%') && !decodesAsUtf8(query)) return void log('its query holds an escape that is not UTF-8');
    return flaskQueryKey(path, query, rule.queryHash);
  } catch (error) {
    if (!(error instanceof LarderError)) throw error;
    log(error.message);
    return undefined;
  }
}

function decodesAsUtf8(query: string): boolean {
  try {
    decodeURIComponent(query);
    return true;
  } catch {
    return false;
  }
}
