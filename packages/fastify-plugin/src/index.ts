import { larderPlugin } from './plugin.js';

export default larderPlugin;
export { larderPlugin };
export type { LarderPluginOptions } from './options.js';
export { viewKey, queryHash, VIEW_KEY_PREFIX, type QueryArguments } from './view-key.js';
export type { ViewCacheOption, ViewCacheSettings } from './view-cache/route-config.js';
export type { CachedResponse } from './view-cache/cached-response.js';
export type { ViewRouteStats } from './view-cache/route-stats.js';
export { CacheExtension, addCacheExtension, type NunjucksEnvironment } from './nunjucks/cache-extension.js';
export { SyncRenderError } from './nunjucks/sync-render-error.js';
export { FragmentCacheError } from './nunjucks/fragment-cache-error.js';
import './fastify-types.js';
