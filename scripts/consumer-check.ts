// Installs the packages as a user would and runs the README samples against them, in one of two
// modes that share everything but where the packages come from:
//  - tarballs (default): packs each publishable package with `pnpm pack` and installs the tarballs
//    with npm (registry dependencies such as fastify come from the registry);
//  - `--registry <url>` (the release rehearsal, scripts/release-rehearsal.sh, after it published
//    the packages there): fetches each published tarball by name with `npm pack @larder/<name>@<version>`
//    and installs `@larder/<name>@<version>` by name, the scratch app's .npmrc saying
//    `@larder:registry=<url>` so that everything else comes from the usual registry; the lockfile
//    must show every @larder package resolved from <url>.
// Either way it checks what the tarballs hold and runs every sample of the READMEs they ship in
// scratch apps: ESM (.mjs), CommonJS (require), TypeScript strict with `module: node16` and
// `nodenext` (samples as .mts, plus a CommonJS .ts file whose imports compile to require) and
// TypeScript with `moduleResolution: bundler`, each compiled with the workspace's TypeScript (5.9)
// and with the latest TypeScript on the registry (`npm view typescript version`, 7.x today, where
// `types` defaults to none: the apps say `"types": ["node"]`, as the README asks). Samples run from
// 5.9's output; the latest's output runs the CommonJS consumer. The registry mode, a rehearsal of
// the install rather than of the types, keeps to ESM, CommonJS and one TypeScript app (5.9, nodenext)
// to stay quick. Prints one summary table; exits 1 on any failure.
// Usage (after setup): node --import tsx scripts/consumer-check.ts [--registry <url>] [--keep]
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingExpectations, readmeSamples, type ReadmeSample } from '../packages/testing/src/readme-samples.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const keep = process.argv.includes('--keep');
const registryAt = process.argv.indexOf('--registry');
/** The local registry the packages were published to (the rehearsal), or undefined for the tarball mode. */
const registry = registryAt >= 0 ? process.argv[registryAt + 1] : undefined;
if (registryAt >= 0 && !/^https?:\/\/[^/]+\/$/.test(registry ?? '')) throw new Error('consumer-check: --registry wants a URL ending in /, such as http://127.0.0.1:4873/');
const work = mkdtempSync(join(tmpdir(), 'larder-consumer-'));
const started = Date.now();

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  engines?: Record<string, string>;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const readJson = (file: string): Manifest => JSON.parse(readFileSync(file, 'utf8')) as Manifest;

/** One row of the summary: what was checked, how many items, and what went wrong. */
interface Row {
  check: string;
  items: number;
  problems: string[];
}
const rows: Row[] = [];

function run(command: string, args: string[], options: SpawnSyncOptions & { cwd: string }): { ok: boolean; output: string; stdout: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000, ...options });
  const stdout = String(result.stdout ?? '');
  const output = `${stdout}${String(result.stderr ?? '')}${result.error ? String(result.error) : ''}`;
  return { ok: result.status === 0, output, stdout };
}

function step(check: string, body: (problems: string[]) => number): void {
  const problems: string[] = [];
  let items = 0;
  try {
    items = body(problems);
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  rows.push({ check, items, problems });
  console.log(`consumer-check: ${check}: ${problems.length === 0 ? 'ok' : `${problems.length} problem(s)`}`);
  for (const problem of problems) console.log(indent(problem));
}

const indent = (text: string): string => text.trimEnd().replace(/^/gm, '    ');

function main(): void {
  const packageDirs = readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'package.json')) && readJson(join(dir, 'package.json')).private !== true);
  const manifests = packageDirs.map((dir) => readJson(join(dir, 'package.json')));
  const tarballDir = join(work, 'tarballs');
  mkdirSync(tarballDir);
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'larder-consumer-check', version: '1.0.0', private: true }, null, 2));
  // Only @larder/* from the local registry: the rest as a user's app gets it.
  if (registry) writeFileSync(join(app, '.npmrc'), `@larder:registry=${registry}\n`);

  if (registry) {
    step(`npm pack of the published packages, by name from ${registry}`, (problems) => {
      for (const manifest of manifests) {
        const fetched = run('npm', ['pack', `${manifest.name}@${manifest.version}`, '--pack-destination', tarballDir, '--loglevel=error'], { cwd: app });
        if (!fetched.ok) problems.push(`npm pack ${manifest.name}@${manifest.version} failed:\n${fetched.output}`);
      }
      return manifests.length;
    });
  } else {
    step('pnpm pack', (problems) => {
      for (const dir of packageDirs) {
        const packed = run('bash', [join(root, 'scripts/pnpm.sh'), 'pack', '--pack-destination', tarballDir], { cwd: dir });
        if (!packed.ok) problems.push(`${relative(root, dir)}: pnpm pack failed:\n${packed.output}`);
      }
      return packageDirs.length;
    });
  }
  const tarballs = readdirSync(tarballDir).filter((file) => file.endsWith('.tgz')).map((file) => join(tarballDir, file));
  step('tarball contents', (problems) => {
    for (const tarball of tarballs) inspectTarball(tarball, problems);
    return tarballs.length;
  });

  // The samples of the root README and of each package's README as published in its tarball.
  const readmes: { label: string; text: string }[] = [{ label: 'readme', text: readFileSync(join(root, 'README.md'), 'utf8') }];
  for (const manifest of manifests) {
    const file = join(work, 'unpacked', manifest.name, 'package', 'README.md');
    if (existsSync(file)) readmes.push({ label: manifest.name.replace(/^@larder\//, ''), text: readFileSync(file, 'utf8') });
  }
  const samples = readmes.flatMap(({ label, text }) => readmeSamples(text).map((sample) => ({ ...sample, name: `${label}-${sample.line}` })));

  const larderSpecs = registry ? manifests.map((manifest) => `${manifest.name}@${manifest.version}`) : tarballs;
  step(registry ? 'npm install @larder/* by name' : 'npm install of the tarballs', (problems) => {
    const latest = run('npm', ['view', 'typescript', 'version'], { cwd: app });
    if (!latest.ok || !/^\d+\.\d+\.\d+$/.test(latest.stdout.trim())) throw new Error(`npm view typescript version failed:\n${latest.output}`);
    latestTypeScript = latest.stdout.trim();
    // The latest TypeScript beside the workspace's, under an alias: node_modules/typescript-latest.
    const wanted = [...larderSpecs, ...registryDependencies(samples, manifests), ...(registry ? [] : [`typescript-latest@npm:typescript@${latestTypeScript}`])];
    console.log(`consumer-check: npm install ${wanted.map((spec) => (spec.endsWith('.tgz') ? basename(spec) : spec)).join(' ')}`);
    // resolved URLs in the lockfile even where the user's npm config omits them, to check where each came from.
    const where = registry ? ['--omit-lockfile-registry-resolved=false'] : [];
    const installed = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...where, ...wanted], { cwd: app });
    if (!installed.ok) problems.push(`npm install failed:\n${installed.output}`);
    const lock = existsSync(join(app, 'package-lock.json'))
      ? (JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages?: Record<string, { version?: string; resolved?: string }> })
      : {};
    for (const manifest of manifests) {
      const resolvedFrom = join(app, 'node_modules', manifest.name, 'package.json');
      if (!existsSync(resolvedFrom)) problems.push(`${manifest.name} is not installed`);
      if (!registry) continue;
      // By name from the local registry, at the version just published: the lockfile says where from.
      const entry = lock.packages?.[`node_modules/${manifest.name}`];
      if (!entry?.resolved?.startsWith(registry)) problems.push(`${manifest.name} was not installed from ${registry} (package-lock.json: ${entry?.resolved ?? 'no entry'})`);
      else if (entry.version !== manifest.version) problems.push(`${manifest.name}: installed ${entry.version ?? '?'}, published ${manifest.version}`);
    }
    return wanted.length;
  });

  esmApp(join(app, 'esm'), samples, manifests);
  commonjsApp(join(app, 'cjs'), samples, manifests);
  const workspaceTs: Compiler = { package: 'typescript', version: readJson(join(app, 'node_modules', 'typescript', 'package.json')).version, runSamples: true };
  const latestTs: Compiler = { package: 'typescript-latest', version: latestTypeScript, runSamples: false };
  if (registry) typescriptApp(join(app, `ts-${workspaceTs.version}-nodenext`), 'nodenext', samples, workspaceTs);
  else {
    for (const compiler of [workspaceTs, latestTs]) {
      for (const resolution of ['node16', 'nodenext', 'bundler'] as const) typescriptApp(join(app, `ts-${compiler.version}-${resolution}`), resolution, samples, compiler);
    }
  }

  printSummary();
  if (rows.some((row) => row.problems.length > 0)) process.exitCode = 1;
}

/** Checks one tarball: README, LICENSE, engines, exports, no workspace: ranges, no sources, maps carrying their sources. */
function inspectTarball(tarball: string, problems: string[]): void {
  const listing = run('tar', ['-tzf', tarball], { cwd: work });
  const entries = new Set(listing.stdout.split('\n').filter(Boolean));
  const probe = readJsonFromTar(tarball);
  const name = probe.name;
  const out = join(work, 'unpacked', name);
  mkdirSync(out, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', out], { cwd: work });
  const pkg = join(out, 'package');
  const say = (problem: string): void => void problems.push(`${name}: ${problem}`);

  for (const required of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.d.ts', 'dist/cjs/package.json']) {
    if (!entries.has(`package/${required}`)) say(`tarball lacks ${required}`);
  }
  if (existsSync(join(pkg, 'LICENSE')) && readFileSync(join(pkg, 'LICENSE'), 'utf8') !== readFileSync(join(root, 'LICENSE'), 'utf8')) say('LICENSE differs from the root LICENSE');
  if (!/MIT License/.test(existsSync(join(pkg, 'LICENSE')) ? readFileSync(join(pkg, 'LICENSE'), 'utf8') : '')) say('LICENSE is not the MIT license');
  if (!probe.engines?.node) say('package.json has no engines.node');
  const text = JSON.stringify(probe);
  if (text.includes('workspace:')) say('package.json still holds a workspace: range');
  const main = probe.exports?.['.'] as Record<string, unknown> | undefined;
  for (const condition of ['import', 'require', 'default']) if (!main?.[condition]) say(`exports "." has no "${condition}" condition`);
  for (const entry of entries) {
    if (entry.startsWith('package/src/') || (entry.endsWith('.ts') && !entry.endsWith('.d.ts'))) say(`ships a source file: ${entry}`);
    if (entry.endsWith('.d.ts.map')) say(`ships a declaration map pointing at unshipped sources: ${entry}`);
    if (entry.endsWith('.js.map')) {
      const map = JSON.parse(readFileSync(join(out, entry), 'utf8')) as { sources?: string[]; sourcesContent?: (string | null)[] };
      const sources = map.sources ?? [];
      const contents = map.sourcesContent ?? [];
      if (sources.length === 0 || contents.length !== sources.length || contents.some((content) => typeof content !== 'string' || content.length === 0)) say(`${entry} does not carry its sources (sourcesContent)`);
    }
  }
}

function readJsonFromTar(tarball: string): Manifest {
  const extracted = run('tar', ['-xzOf', tarball, 'package/package.json'], { cwd: work });
  return JSON.parse(extracted.stdout) as Manifest;
}

/** Registry packages the samples import, at the ranges the workspace uses, plus TypeScript and the @types they need. */
function registryDependencies(samples: ReadmeSample[], manifests: Manifest[]): string[] {
  const rootManifest = readJson(join(root, 'package.json'));
  const workspace = [rootManifest, ...manifests, ...readdirSync(join(root, 'examples')).map((dir) => readJson(join(root, 'examples', dir, 'package.json')))];
  const ranges = new Map<string, string>();
  for (const manifest of workspace) {
    for (const deps of [manifest.peerDependencies, manifest.devDependencies, manifest.dependencies]) {
      for (const [name, range] of Object.entries(deps ?? {})) if (!range.startsWith('workspace:')) ranges.set(name, range);
    }
  }
  const names = new Set<string>(['typescript', '@types/node']);
  for (const sample of samples) {
    for (const match of sample.code.matchAll(/(?:from\s+|require\(\s*|import\(\s*)'([^'./][^']*)'/g)) {
      const specifier = match[1]!;
      if (specifier.startsWith('node:') || specifier.startsWith('@larder/')) continue;
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
      names.add(name);
      const typesName = `@types/${name.replace(/^@/, '').replace('/', '__')}`;
      if (ranges.has(typesName)) names.add(typesName);
    }
  }
  return [...names].sort().map((name) => {
    const range = ranges.get(name);
    if (!range) throw new Error(`a README sample imports ${name}, which no workspace package.json lists`);
    return `${name}@${range}`;
  });
}

/** Runs a compiled or plain sample file and compares its output with its //=> lines. */
function runSample(dir: string, file: string, sample: ReadmeSample, problems: string[]): void {
  const result = run(process.execPath, [file], { cwd: dir, timeout: 60_000, env: { ...process.env, MEMCACHED_SERVERS: '', MEMCACHIER_SERVERS: '' } });
  if (!result.ok) {
    problems.push(`${relative(dir, file)} failed:\n${result.output}`);
    return;
  }
  const missing = missingExpectations(sample, result.stdout);
  if (missing.length > 0) problems.push(`${relative(dir, file)} did not print ${missing.map((line) => `"${line}"`).join(', ')}; it printed:\n${result.stdout}`);
}

function esmApp(dir: string, samples: (ReadmeSample & { name: string })[], manifests: Manifest[]): void {
  step('ESM app: js samples (.mjs), import of each package and subpath', (problems) => {
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const esm = samples.filter((sample) => sample.lang === 'js' && sample.format === 'module');
    for (const sample of esm) {
      writeFileSync(join(dir, `${sample.name}.mjs`), sample.code);
      runSample(dir, join(dir, `${sample.name}.mjs`), sample, problems);
    }
    const imports = entryPoints(manifests).map((name, i) => `import * as p${i} from '${name}';\nif (Object.keys(p${i}).length === 0) throw new Error('${name} exports nothing');`).join('\n');
    writeFileSync(join(dir, 'imports.mjs'), `${imports}\nconsole.log('every package imports');\n`);
    const smoke: ReadmeSample = { lang: 'js', runs: true, format: 'module', dir: undefined, line: 0, code: '', expectations: ['every package imports'] };
    runSample(dir, join(dir, 'imports.mjs'), smoke, problems);
    return esm.length + 1;
  });
}

function commonjsApp(dir: string, samples: (ReadmeSample & { name: string })[], manifests: Manifest[]): void {
  step('CommonJS app: js samples (.cjs), require of each package and subpath', (problems) => {
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'commonjs' }));
    const cjs = samples.filter((sample) => sample.lang === 'js' && sample.format === 'commonjs');
    for (const sample of cjs) {
      writeFileSync(join(dir, `${sample.name}.cjs`), sample.code);
      runSample(dir, join(dir, `${sample.name}.cjs`), sample, problems);
    }
    // require() and import() must hand out the same module instance (one Cache class, one
    // default cache): every export is the very same value both ways.
    const checks = entryPoints(manifests)
      .map(
        (name) =>
          `  { const required = require('${name}'); const imported = await import('${name}');\n` +
          `    for (const key of Object.keys(imported)) if (required[key] !== imported[key]) throw new Error('${name}: require and import give different ' + key); }`,
      )
      .join('\n');
    writeFileSync(join(dir, 'requires.cjs'), `(async () => {\n${checks}\n  console.log('every package requires, same instance as import');\n})().catch((error) => { console.error(error); process.exit(1); });\n`);
    const smoke: ReadmeSample = { lang: 'js', runs: true, format: 'commonjs', dir: undefined, line: 0, code: '', expectations: ['every package requires, same instance as import'] };
    runSample(dir, join(dir, 'requires.cjs'), smoke, problems);
    return cjs.length + 1;
  });
}

/** Every entry point of the packages: each name, and each subpath of its exports map (`@larder/core/memcached`). */
function entryPoints(manifests: Manifest[]): string[] {
  return manifests.flatMap((m) =>
    Object.keys(m.exports ?? { '.': '' })
      .filter((subpath) => subpath !== './package.json')
      .map((subpath) => (subpath === '.' ? m.name : `${m.name}/${subpath.slice(2)}`)),
  );
}

/** A CommonJS TypeScript file: its imports compile to require(), the case TS1479 used to refuse. */
const COMMONJS_CONSUMER = `import { Cache, LarderError, MemoryBackend } from '@larder/core';
import { MemcachedBackend, type MemcachedBackendOptions } from '@larder/core/memcached';
import larder, { viewKey } from '@larder/fastify-plugin';
import { MemcachedStore } from '@larder/session-store';
import Fastify from 'fastify';

async function main(): Promise<void> {
  const options: MemcachedBackendOptions = { servers: '127.0.0.1:1' };
  if (typeof MemcachedBackend !== 'function' || options.servers === '') throw new Error('@larder/core/memcached did not load');
  const cache = new Cache({ backend: new MemoryBackend(), keyPrefix: 'cjs:' });
  await cache.set('visits', 1);
  const visits: number | undefined = await cache.incr('visits');
  const app = Fastify();
  await app.register(larder, { cache });
  app.get('/', { config: { cache: true } }, async () => ({ hello: 'world' }));
  await app.inject('/');
  const again = await app.inject('/');
  const store = new MemcachedStore({ cache });
  console.log(again.headers['x-cache'], visits, app.cache.backendKey(viewKey('/')), store instanceof MemcachedStore, new LarderError('E_INVALID_OPTION', 'x') instanceof Error);
  await app.close();
  await cache.close();
}
void main();
`;

/** A TypeScript to check the apps with: the package directory it is installed under, its version, and whether the samples run from its output. */
interface Compiler {
  package: string;
  version: string;
  runSamples: boolean;
}
let latestTypeScript = 'latest';

function typescriptApp(dir: string, resolution: 'node16' | 'nodenext' | 'bundler', samples: (ReadmeSample & { name: string })[], compiler: Compiler): void {
  const commonjs = resolution !== 'bundler';
  const what = compiler.runSamples ? 'ts samples' : 'ts samples compiled';
  const label = `TS ${compiler.version} app, strict, ${commonjs ? `module ${resolution}, CommonJS: ${what} (.mts), require-style .ts` : `moduleResolution bundler, ESM: ${what}`}`;
  step(label, (problems) => {
    mkdirSync(dir);
    // node16/nodenext: the package is CommonJS, so .ts files compile to require() and samples
    // with top-level await are .mts (ES modules), as they would be in such a project.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: commonjs ? 'commonjs' : 'module' }));
    const typed = samples.filter((sample) => sample.lang === 'ts');
    const extension = commonjs ? 'mts' : 'ts';
    for (const sample of typed) writeFileSync(join(dir, `${sample.name}.${extension}`), sample.code);
    if (commonjs) writeFileSync(join(dir, 'commonjs-consumer.ts'), COMMONJS_CONSUMER);
    const compilerOptions = {
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      target: 'ES2022',
      lib: ['ES2023'],
      types: ['node'],
      esModuleInterop: true,
      skipLibCheck: false,
      outDir: 'out',
      rootDir: '.',
      ...(commonjs ? { module: resolution, moduleResolution: resolution } : { module: 'ESNext', moduleResolution: 'bundler' }),
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts', '*.mts'] }, null, 2));
    const tsc = join(dir, '..', 'node_modules', compiler.package, 'bin', 'tsc');
    const compiled = run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir });
    if (!compiled.ok) {
      problems.push(`tsc ${compiler.version} (strict, ${resolution}) rejects the samples:\n${compiled.output}`);
      return typed.length;
    }
    const outExtension = commonjs ? 'mjs' : 'js';
    if (compiler.runSamples) for (const sample of typed.filter((s) => s.runs)) runSample(dir, join(dir, 'out', `${sample.name}.${outExtension}`), sample, problems);
    if (commonjs) {
      const emitted = readFileSync(join(dir, 'out', 'commonjs-consumer.js'), 'utf8');
      if (!emitted.includes("require(\"@larder/core\")")) problems.push('commonjs-consumer.ts did not compile to require()');
      const smoke: ReadmeSample = { lang: 'ts', runs: true, format: 'commonjs', dir: undefined, line: 0, code: '', expectations: ['HIT 2 cjs:view// true true'] };
      runSample(dir, join(dir, 'out', 'commonjs-consumer.js'), smoke, problems);
    }
    return typed.length + (commonjs ? 1 : 0);
  });
}

function printSummary(): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const width = Math.max(...rows.map((row) => row.check.length));
  console.log(`\nconsumer check${registry ? ` (by name from ${registry})` : ' (tarballs)'}: packages installed with npm ${run('npm', ['--version'], { cwd: work }).stdout.trim()} on Node ${process.version}, ${seconds} s`);
  console.log(`${'check'.padEnd(width)}  items  result`);
  for (const row of rows) console.log(`${row.check.padEnd(width)}  ${String(row.items).padStart(5)}  ${row.problems.length === 0 ? 'ok' : 'FAILED'}`);
}

try {
  main();
} finally {
  if (keep) console.log(`consumer-check: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
