import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const snippets = [...readme.matchAll(/```ts readme-run\n([\s\S]*?)```/g)].map((m) => m[1]!);
// Inside packages/core, so `@larder/core` resolves to the built package by self-reference.
const workDir = join(root, 'packages/core/.readme-run');

describe('README examples run', () => {
  after(() => rmSync(workDir, { recursive: true, force: true }));

  it('has runnable examples', () => assert.ok(snippets.length >= 2));

  snippets.forEach((code, i) => {
    it(`example ${i + 1} runs and prints what its //=> comments say`, () => {
      mkdirSync(workDir, { recursive: true });
      const file = join(workDir, `example-${i + 1}.ts`);
      writeFileSync(file, code);
      const output = execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: workDir, encoding: 'utf8' });
      const expectations = [...code.matchAll(/\/\/=> (.+)$/gm)].map((m) => m[1]!.trim());
      assert.ok(expectations.length > 0, 'each runnable example states its output with //=>');
      const lines = output.split('\n').map((line) => line.trim());
      for (const expected of expectations) assert.ok(lines.includes(expected), `output lacks "${expected}":\n${output}`);
    });
  });
});
