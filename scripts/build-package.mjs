// Builds the package in the current directory: tsc (tsconfig.build.json) into a fresh directory,
// CommonJS-flavoured copies of the declarations in dist/cjs, then one swap into dist.
//
// Why the copies: the packages are ESM only and CommonJS apps load them through require(esm)
// (Node 20.19+, 22.12+), which returns the same module instance an `import` gets (one Cache class,
// one default cache). TypeScript in a CommonJS project with `module: node16` refuses to
// `require` a declaration file it sees as ESM (TS1479); the same declarations under a directory
// whose package.json says "commonjs" describe exactly what require(esm) returns, so the
// `require` branch of each exports map points its `types` there.
// Why the swap: tests of the other packages import dist while a package rebuilds; a fresh
// directory renamed into place never shows them a half-written or emptied dist, and outputs of
// deleted sources do not linger into a published tarball.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
copyDeclarations(next, cjs);
writeFileSync(join(cjs, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);

if (existsSync('dist')) renameSync('dist', old);
renameSync(next, 'dist');
rmSync(old, { recursive: true, force: true });

/** Copies every .d.ts under `from` (except `to` itself) to the same place under `to`. */
function copyDeclarations(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    if (source === to) continue;
    if (entry.isDirectory()) copyDeclarations(source, join(to, entry.name));
    else if (entry.name.endsWith('.d.ts')) cpSync(source, join(to, entry.name));
  }
}
