import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { missingExpectations, readmeSamples, unrequestedRoutes, type ReadmeSample } from './readme-samples.js';


/**
 * Tests the ```ts and ```js samples of `readme` meant for `packageDir` (a sample tagged
 * `readme-run=packages/x` belongs to that package; an untagged one to `defaultDir`): every ts
 * sample typechecks under the repo's strict tsconfig.base.json, every ts sample tagged
 * `readme-run` runs through tsx, every js sample runs in plain Node (.mjs, or .cjs when it uses
 * require), each run prints the lines its `//=> ` comments state, and each run sample requests
 * every route it declares (`unrequestedRoutes`). They run inside the
 * package, so the package's own name and its dependencies resolve as they would for a user.
 */
export function readmeExamples(readme: string, packageDir: string, options: { root: string; defaultDir?: string }): void {
  const target = relative(options.root, packageDir);
  const samples = readmeSamples(readFileSync(readme, 'utf8')).filter((sample) => (sample.dir ?? options.defaultDir) === target);
  const typed = samples.filter((sample) => sample.lang === 'ts');
  const workDir = join(packageDir, '.readme-run');
  const name = relative(options.root, readme) || basename(readme);
  const stem = basename(readme, '.md').toLowerCase();
  const fileOf = (sample: ReadmeSample): string =>
    join(workDir, `${stem}-${sample.line}.${sample.lang === 'ts' ? 'ts' : sample.format === 'commonjs' ? 'cjs' : 'mjs'}`);

  describe(`${name} samples for ${target}`, () => {
    after(() => rmSync(workDir, { recursive: true, force: true }));

    it('has runnable samples', () => assert.ok(samples.some((sample) => sample.runs)));

    if (typed.length > 0) {
      it(`its ${typed.length} TypeScript sample(s) typecheck under the repo's strict tsconfig`, () => {
        mkdirSync(workDir, { recursive: true });
        for (const sample of typed) writeFileSync(fileOf(sample), sample.code);
        const config = join(workDir, `tsconfig.${stem}.json`);
        writeFileSync(
          config,
          JSON.stringify({
            extends: relative(workDir, join(options.root, 'tsconfig.base.json')),
            // Each sample is a module of its own even without an import, so two samples never clash.
            compilerOptions: { noEmit: true, moduleDetection: 'force' },
            files: typed.map((sample) => basename(fileOf(sample))),
          }),
        );
        // Resolved here, not on import: only this check needs TypeScript installed.
        const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
        try {
          execFileSync(process.execPath, [tsc, '-p', config], { cwd: workDir, encoding: 'utf8' });
        } catch (error) {
          const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
          assert.fail(`tsc rejects ${name}'s samples (files named after the line of their fence):\n${stdout}${stderr}`);
        }
      });
    }

    for (const sample of samples.filter((s) => s.runs)) {
      it(`the ${sample.lang} sample at line ${sample.line} runs and prints what its //=> comments say`, () => {
        mkdirSync(workDir, { recursive: true });
        const file = fileOf(sample);
        writeFileSync(file, sample.code);
        const loader = sample.lang === 'ts' ? ['--import', 'tsx'] : [];
        // A sample that never ends fails after a minute instead of holding up the whole run.
        const output = execFileSync(process.execPath, [...loader, file], { cwd: workDir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, MEMCACHED_SERVERS: '', MEMCACHIER_SERVERS: '' } });
        assert.ok(sample.expectations.length > 0, 'each runnable sample states its output with //=>');
        const missing = missingExpectations(sample, output);
        assert.deepEqual(missing, [], `output lacks ${missing.map((line) => `"${line}"`).join(', ')}:\n${output}`);
      });
      const routes = unrequestedRoutes(sample.code);
      it(`the ${sample.lang} sample at line ${sample.line} requests every route it defines`, () => {
        assert.deepEqual(routes.map((route) => `${route.method} ${route.path}`), [], 'a sample that defines a route requests it, so a route that fails when used fails this test');
      });
    }
  });
}
