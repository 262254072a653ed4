// The `@larder/core/conformance` entry: the Backend contract as a node:test suite, kept off the
// root entry so that importing @larder/core never loads node:test or node:assert.
export { backendConformance, type ConformanceTarget } from './conformance/backend-conformance.js';
export { UnreachableBackend } from './conformance/unreachable-backend.js';
export { suiteBackends, type SuiteBackend, type SuiteMemcached } from './conformance/suite-backends.js';
