export { larder, cacheResponse, NotInstalledError, type LarderExpress, type LarderExpressOptions } from './larder-express.js';
export type { CacheRequest, ExpressAppLike, ExpressRequestLike, ExpressResponseLike, ExpressMiddleware, NextFunction } from './express-types.js';
// The rules and keys live in @larder/http; re-exported so an Express app needs one import.
export { viewKey, flaskQueryHash, VIEW_KEY_PREFIX, type ResponseCacheSettings, type ResponseCacheOption, type ViewRouteStats, type QueryHashMethod } from '@larder/http';
