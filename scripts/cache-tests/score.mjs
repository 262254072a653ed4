// Scores a results file of the HTTP cache-tests CLI with the suite's own verdicts (its
// lib/display.mjs determineTestResult: a test whose dependency failed counts as failed) over its
// required tests (kind 'required' or none, not browser-only), those of tests/index.mjs and the
// Surrogate-Control ones the CLI adds. Prints `N passed, M failed` and each failure; exits 1 under
// the minimum. Usage: node score.mjs <suite dir> <results.json> <minimum percent>
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [suite, resultsFile, minimum] = process.argv.slice(2);
const load = async (file) => (await import(pathToFileURL(path.join(suite, file)).href)).default;
const suites = [...(await load('tests/index.mjs')), await load('tests/surrogate-control.mjs')];
const { determineTestResult } = await import(pathToFileURL(path.join(suite, 'lib/display.mjs')).href);
const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
let passed = 0;
const failed = [];
for (const group of suites) {
  for (const test of group.tests) {
    if (test.browser_only || (test.kind !== undefined && test.kind !== 'required')) continue;
    const verdict = determineTestResult(suites, test.id, results);
    if (verdict[2] === '✅') passed++;
    else failed.push(`  ${verdict[2]} ${test.id}: ${JSON.stringify(results[test.id] ?? 'not run')}`);
  }
}
const percent = (100 * passed) / (passed + failed.length);
console.log(failed.join('\n'));
console.log(`cache-tests required: ${passed} passed, ${failed.length} failed (${percent.toFixed(1)}%)`);
if (percent < Number(minimum)) {
  console.error(`cache-tests: below the ${minimum}% required`);
  process.exit(1);
}
