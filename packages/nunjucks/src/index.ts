// @larder/nunjucks: the {% cache %} fragment tag for nunjucks, for any app (Fastify, Express or
// none). It needs nunjucks only in the app that renders; its types are structural, so the
// declarations do not pull in @types/nunjucks.
export { CacheExtension, addCacheExtension, type NunjucksEnvironment } from './cache-extension.js';
export { SyncRenderError } from './sync-render-error.js';
export { FragmentCacheError } from './fragment-cache-error.js';
