import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

// These tests load the package by its name, as an app does: through the exports map and dist/.
const coreDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs an ES module in a fresh Node process inside packages/core (so `@larder/core` resolves to itself); returns its last stdout line as JSON. */
function runModule<T>(code: string): T {
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: coreDir, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(output.trim().split('\n').at(-1)!) as T;
}

// Module._cache holds every CommonJS module loaded, also those an ES module imported; memjs is CommonJS.
const LOADED = `
import { createRequire } from 'node:module';
const loaded = (name) => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes('/node_modules/' + name + '/'));
const builtins = () => process.moduleLoadList.filter((entry) => /internal\\/test_runner|NativeModule (test|assert)\\b/.test(entry));
`;

describe('subpath exports', () => {
  it('@larder/core loads no memcached client library: not in a memory-only app, not when a MemcachedBackend is built (the wire protocols are its own)', () => {
    const result = runModule<{ value: unknown; afterMemory: boolean; afterBackend: boolean; testRunner: string[] }>(`${LOADED}
      const { Cache, MemoryBackend, MemcachedBackend } = await import('@larder/core');
      const cache = new Cache({ backend: new MemoryBackend() });
      await cache.set('k', 'v');
      const value = await cache.get('k');
      const afterMemory = loaded('memjs');
      const testRunner = builtins();
      const backend = new MemcachedBackend({ servers: '127.0.0.1:1' });
      const afterBackend = loaded('memjs');
      await backend.close();
      await cache.close();
      console.log(JSON.stringify({ value, afterMemory, afterBackend, testRunner }));
    `);
    assert.equal(result.value, 'v');
    assert.equal(result.afterMemory, false, 'memjs was loaded by a memory-only app');
    assert.deepEqual(result.testRunner, [], 'the root entry must not load node:test or node:assert');
    assert.equal(result.afterBackend, false, 'a MemcachedBackend loaded memjs');
  });

  it('@larder/core/memcached exports the same MemcachedBackend as the root, and loads no memcached client library', () => {
    const result = runModule<{ same: boolean; names: string[]; beforeBuild: boolean; afterBuild: boolean }>(`${LOADED}
      const sub = await import('@larder/core/memcached');
      const root = await import('@larder/core');
      const beforeBuild = loaded('memjs');
      const backend = new sub.MemcachedBackend({ servers: ['127.0.0.1:1'] });
      const afterBuild = loaded('memjs');
      await backend.close();
      console.log(JSON.stringify({ same: sub.MemcachedBackend === root.MemcachedBackend && root.HashRing === undefined, names: Object.keys(sub).sort(), beforeBuild, afterBuild }));
    `);
    assert.equal(result.same, true);
    assert.deepEqual(result.names, ['ClusterConfigError', 'FallbackBackend', 'HashRing', 'MemcachedBackend', 'RetryingBackend', 'TlsError', 'oneAtATime', 'parseServerList']);
    assert.equal(result.beforeBuild, false);
    assert.equal(result.afterBuild, false);
  });

  it('@larder/core/conformance runs the Backend contract under node --test for a backend from outside the package', () => {
    // A project of its own, with @larder/core in its node_modules (a link to this package).
    const dir = mkdtempSync(join(tmpdir(), 'larder-conformance-'));
    try {
      mkdirSync(join(dir, 'node_modules', '@larder'), { recursive: true });
      symlinkSync(coreDir, join(dir, 'node_modules', '@larder', 'core'), 'dir');
      // What a third-party backend's test file looks like: the suite by package name, node:test as runner.
      const file = join(dir, 'my-backend.test.mjs');
      writeFileSync(
        file,
        `import { MemoryBackend } from '@larder/core';
import { backendConformance } from '@larder/core/conformance';
let now = 1_000_000;
backendConformance('a backend from outside', async () => ({
  backend: new MemoryBackend({ now: () => now }),
  fakeClock: true,
  advance: async (seconds) => { now += seconds * 1000; },
  dispose: async () => {},
}));
`,
      );
      // Without NODE_TEST_CONTEXT, which would make the child report to this runner instead of printing TAP.
      const { NODE_TEST_CONTEXT: _ignored, ...env } = process.env;
      const run = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
      assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
      const passed = Number(/^# pass (\d+)$/m.exec(run.stdout)?.[1]);
      assert.ok(passed >= 15, `the whole contract ran (${passed} tests passed)`);
      assert.match(run.stdout, /^# fail 0$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
