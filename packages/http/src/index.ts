// @larder/http: framework-neutral whole-response caching. The rules (what may be stored and
// shared, Vary, conditional requests) live here; the Fastify plugin and the Express middleware
// only translate their request and response objects through an HttpAdapter.
export { ResponseCache, audienceOf, type ResponseCacheOptions, type ResponseCacheBounds } from './response-cache.js';
export type { HttpAdapter, FinishedResponse, RequestLogger } from './http-adapter.js';
export { toCacheRule, type CacheRule, type ResponseCacheSettings, type ResponseCacheOption, type CacheControlSettings, type RuleSite } from './cache-rule.js';
export { ViewStatsTable, type BypassReason, type ViewRouteStats } from './route-stats.js';
export { viewKey, variantKey, VIEW_KEY_PREFIX, VARIANT_SEPARATOR, type QueryArguments } from './view-key.js';
export { flaskQueryHash, flaskQueryKey, type QueryHashMethod } from './keys/flask-query-key.js';
export { normalizePath } from './keys/normalize-path.js';
export { appendVary, carriesBody, carriesSession, hasCredentials, refusalOf, varyHeaderNames, whyNotStorable, NEVER_STORED_STATUSES, type NotStoredReason, type Refusal, type RequestHeaders } from './http-rules.js';
export { whenHeadSent, type SentHead } from './sent-head.js';
export { isNotModified } from './replay.js';
export { REFRESH_HEADER, type Injector } from './view-refresh.js';
export type { CachedResponse } from './stored-view.js';
