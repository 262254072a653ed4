import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

// The point of this package: an Express (or framework-free) app gets the tag without installing
// Fastify. These tests read the manifest and load the built package (dist/, through its exports
// map, as an app does), so they need `pnpm run build` first, as the other packages' dist tests do.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(`${packageDir}package.json`, 'utf8')) as Record<string, Record<string, string> | undefined>;
const isFastify = (name: string) => name === 'fastify' || name.startsWith('@fastify/') || name.includes('fastify');

describe('@larder/nunjucks does not need Fastify', () => {
  it('its package.json names no Fastify package among what an install brings or asks for', () => {
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'bundleDependencies']) {
      const names = Object.keys(manifest[field] ?? {});
      assert.deepEqual(names.filter(isFastify), [], `${field}: ${names.join(', ')}`);
    }
    assert.deepEqual(Object.keys(manifest.dependencies ?? {}), ['@larder/core']);
    assert.deepEqual(Object.keys(manifest.peerDependencies ?? {}), ['nunjucks']);
  });

  it('the built package loads and renders a cached fragment where fastify cannot be resolved, and loads no Fastify module', () => {
    // Run inside packages/nunjucks, where `@larder/nunjucks` resolves to itself (its exports map,
    // dist/) and pnpm has linked only the package's own dependencies; NODE_PATH is removed so no
    // directory outside the normal node_modules lookup can supply fastify.
    const code = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const entry = import.meta.resolve('@larder/nunjucks');
      const unresolvable = (from) => { try { createRequire(from).resolve('fastify'); return false; } catch (error) { return error.code === 'MODULE_NOT_FOUND'; } };
      const { addCacheExtension } = await import('@larder/nunjucks');
      const { Cache, MemoryBackend } = await import('@larder/core');
      const { default: nunjucks } = await import('nunjucks');
      const cache = new Cache({ backend: new MemoryBackend() });
      const env = new nunjucks.Environment();
      let renders = 0;
      env.addGlobal('count', () => ++renders);
      addCacheExtension(env, cache);
      const render = () => new Promise((resolve, reject) => env.renderString("{% cache 60, 'hello', 7 %}hi {{ count() }}{% endcache %}", {}, (e, html) => (e ? reject(e) : resolve(html))));
      const outputs = [await render(), await render()];
      const stored = await cache.get('_template_fragment_cache_hello_7');
      const fastifyLoaded = Object.keys(require.cache).filter((file) => /[\\\\/]@?fastify/.test(file));
      console.log(JSON.stringify({ entry, fromPackage: unresolvable(entry), fromApp: unresolvable(import.meta.url), outputs, stored, fastifyLoaded }));
    `;
    const env = { ...process.env };
    delete env.NODE_PATH;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: packageDir, encoding: 'utf8', env, timeout: 60_000 });
    const result = JSON.parse(output.trim().split('\n').at(-1)!) as { entry: string; fromPackage: boolean; fromApp: boolean; outputs: string[]; stored: string; fastifyLoaded: string[] };
    assert.match(result.entry, /\/packages\/nunjucks\/dist\/index\.js$/, 'the built package, not its sources');
    assert.equal(result.fromPackage, true, 'fastify resolves from the package: this test would prove nothing');
    assert.equal(result.fromApp, true, 'fastify resolves from the app: this test would prove nothing');
    assert.deepEqual(result.outputs, ['hi 1', 'hi 1']);
    assert.equal(result.stored, 'hi 1');
    assert.deepEqual(result.fastifyLoaded, []);
  });

  it('the built JavaScript and declarations import nothing from Fastify', () => {
    const files = readdirSync(`${packageDir}dist`, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.js') || file.endsWith('.d.ts'))
      .map((file) => `dist/${file}`);
    assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts'), 'built');
    for (const file of files) {
      const text = readFileSync(`${packageDir}${file}`, 'utf8');
      const specifiers = [...text.matchAll(/(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((match) => match[1]!);
      assert.deepEqual(specifiers.filter(isFastify), [], `${file} imports ${specifiers.join(', ')}`);
    }
  });
});
