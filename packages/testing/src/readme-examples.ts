import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { after, describe, it } from 'node:test';

/**
 * Runs the ```ts readme-run blocks of `readme` meant for `packageDir` (a block tagged
 * `readme-run=packages/x` runs in that package; an untagged one in `defaultDir`) and checks
 * that each prints the lines its `//=> ` comments state. They run inside the package, so
 * the package's own name and its dependencies resolve as they would for a user.
 */
export function readmeExamples(readme: string, packageDir: string, options: { root: string; defaultDir?: string }): void {
  const text = readFileSync(readme, 'utf8');
  const target = relative(options.root, packageDir);
  const snippets = [...text.matchAll(/```ts readme-run(?:=(\S+))?\n([\s\S]*?)```/g)]
    .filter((match) => (match[1] ?? options.defaultDir) === target)
    .map((match) => match[2]!);
  const workDir = join(packageDir, '.readme-run');
  const name = relative(options.root, readme) || basename(readme);

  describe(`${name} examples for ${target} run`, () => {
    after(() => rmSync(workDir, { recursive: true, force: true }));

    it('has runnable examples', () => assert.ok(snippets.length >= 1));

    snippets.forEach((code, i) => {
      it(`example ${i + 1} runs and prints what its //=> comments say`, () => {
        mkdirSync(workDir, { recursive: true });
        const file = join(workDir, `${basename(readme, '.md').toLowerCase()}-${i + 1}.ts`);
        writeFileSync(file, code);
        const output = execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: workDir, encoding: 'utf8', env: { ...process.env, MEMCACHED_SERVERS: '', MEMCACHIER_SERVERS: '' } });
        const expectations = [...code.matchAll(/\/\/=> (.+)$/gm)].map((m) => m[1]!.trim());
        assert.ok(expectations.length > 0, 'each runnable example states its output with //=>');
        const lines = output.split('\n').map((line) => line.trim());
        for (const expected of expectations) assert.ok(lines.includes(expected), `output lacks "${expected}":\n${output}`);
      });
    });
  });
}
