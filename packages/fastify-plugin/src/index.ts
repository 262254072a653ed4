import { larderPlugin } from './plugin.js';

export default larderPlugin;
export { larderPlugin };
export type { LarderPluginOptions } from './options.js';
// The response cache's rules and keys live in @larder/http; re-exported so a Fastify app needs one import.
export { viewKey, flaskQueryHash, VIEW_KEY_PREFIX, type QueryArguments, type CachedResponse, type ViewRouteStats, type QueryHashMethod } from '@larder/http';
import type { ResponseCacheOption, ResponseCacheSettings } from '@larder/http';
import type { FastifyRequest } from 'fastify';
/** A route's `config.cache`: `true` for the defaults, or ViewCacheSettings. */
export type ViewCacheOption = ResponseCacheOption<FastifyRequest>;
/** The settings of a route's `config.cache` (see the README's table). */
export type ViewCacheSettings = ResponseCacheSettings<FastifyRequest>;
// The fragment tag lives in @larder/nunjucks (usable without Fastify); re-exported so a Fastify app
// gets it with the plugin it registers its environment through (`nunjucks: env`).
export { CacheExtension, addCacheExtension, SyncRenderError, FragmentCacheError, type NunjucksEnvironment } from '@larder/nunjucks';
import './fastify-types.js';
