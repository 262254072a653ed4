// The `@larder/testing/readme` entry: runs a README's code samples as tests (Larder's own
// READMEs use it). Kept off the root entry, which is the memcached harness, so importing that
// never loads node:test or needs TypeScript.
export { readmeExamples } from './readme-examples.js';
export { readmeSamples, missingExpectations, type ReadmeSample } from './readme-samples.js';
