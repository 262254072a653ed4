// Builds the package in the current directory: tsc (tsconfig.build.json) into a fresh directory,
// dist/cjs/index.d.ts for CommonJS TypeScript users, then one swap into dist.
//
// Why dist/cjs: the packages are ESM only and CommonJS apps load them through require(esm)
// (Node 20.19+, 22.12+), which returns the same module instance an `import` gets (one Cache
// class, one default cache). TypeScript in a CommonJS project with `module: node16` refuses to
// `require` a declaration file it sees as ESM (TS1479). The `require` branch of the exports map
// points its `types` at dist/cjs/index.d.ts, a CommonJS-scoped file that re-exports the very same
// declarations (not copies: two copies would make two incompatible Cache types, and two
// conflicting `declare module 'fastify'` augmentations, in a program that mixes both formats).
// Why the swap: tests of the other packages import dist while a package rebuilds; a fresh
// directory renamed into place never shows them a half-written or emptied dist, and outputs of
// deleted sources do not linger into a published tarball.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const packageDir = process.cwd();
const next = resolve('dist.next');
const old = resolve('dist.old');
const tsc = createRequire(join(packageDir, 'package.json')).resolve('typescript/bin/tsc');

rmSync(next, { recursive: true, force: true });
rmSync(old, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', next], { stdio: 'inherit' });
} catch {
  rmSync(next, { recursive: true, force: true });
  process.exit(1); // tsc has printed its errors
}

const cjs = join(next, 'cjs');
mkdirSync(cjs);
writeFileSync(join(cjs, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
const reexport = (what, entry) =>
  '// @ts-ignore TS1479 under module node16: require() of this ES module works on Node 20.19+ and 22.12+ and returns exactly its exports.\n' +
  `export ${what} from '../${entry}.js';\n`;
// One CommonJS-scoped declaration file per entry of the exports map (the root and subpaths
// such as @larder/core/memcached): the ones its `require` conditions point at.
for (const entry of cjsEntries(JSON.parse(readFileSync('package.json', 'utf8')).exports)) {
  const hasDefault = /^export default |^export \{[^}]*\bdefault\b[^}]*\}/m.test(readFileSync(join(next, `${entry}.d.ts`), 'utf8'));
  writeFileSync(join(cjs, `${entry}.d.ts`), `${reexport('*', entry)}${hasDefault ? reexport('{ default }', entry) : ''}`);
}

if (existsSync('dist')) renameSync('dist', old);
renameSync(next, 'dist');
rmSync(old, { recursive: true, force: true });

/** Names of the entries whose `require` > `types` target is dist/cjs/<name>.d.ts (always `index`). */
function cjsEntries(exportsMap) {
  const names = new Set(['index']);
  for (const target of Object.values(exportsMap ?? {})) {
    const types = typeof target === 'object' ? target?.require?.types : undefined;
    const match = typeof types === 'string' ? /^\.\/dist\/cjs\/(.+)\.d\.ts$/.exec(types) : null;
    if (match) names.add(match[1]);
  }
  return [...names];
}
