import { fileURLToPath } from 'node:url';
import { readmeExamples } from '@larder/testing/readme';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packageDir = fileURLToPath(new URL('../', import.meta.url));
// The examples import '@larder/metrics/...' by name, so they run against the built package (dist).
readmeExamples(`${packageDir}README.md`, packageDir, { root, defaultDir: 'packages/metrics' });
readmeExamples(`${root}README.md`, packageDir, { root });
