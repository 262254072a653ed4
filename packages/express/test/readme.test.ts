import { fileURLToPath } from 'node:url';
import { readmeExamples } from '@larder/testing/readme';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packageDir = fileURLToPath(new URL('../', import.meta.url));

readmeExamples(`${packageDir}README.md`, packageDir, { root, defaultDir: 'packages/express' });
readmeExamples(`${root}README.md`, packageDir, { root });
