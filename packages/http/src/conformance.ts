// The `@larder/http/conformance` entry: the response cache's behaviour as a node:test suite that
// every framework adapter runs, kept off the root entry so that importing @larder/http never loads
// node:test or node:assert.
export { responseCacheConformance } from './conformance/response-cache-conformance.js';
export { responseCacheSessionConformance, type SessionStackTarget } from './conformance/session-conformance.js';
export { memcachedConformanceCache, memoryConformanceCache, request, type ConformanceMemcached, type ConformanceResponse } from './conformance/conformance-kit.js';
export type { ConformanceCache, ConformanceReply, ConformanceRequest, ConformanceRoute, ConformanceSession, ResponseCacheTarget, StartedApp } from './conformance/conformance-target.js';
