// The `@larder/core/conformance` entry: the Backend contract and the cache-source forms as node:test
// suites, kept off the root entry so that importing @larder/core never loads node:test or node:assert.
export { backendConformance, type ConformanceTarget } from './conformance/backend-conformance.js';
export { UnreachableBackend } from './conformance/unreachable-backend.js';
export { suiteBackends, suiteCache, type SuiteBackend, type SuiteMemcached } from './conformance/suite-backends.js';
export { cacheSourceConformance, type CacheSourceConsumer, type ConsumedSource, type SecondCore } from './conformance/cache-source-conformance.js';
