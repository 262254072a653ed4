import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { get } from './http-client.js';

const APP = fileURLToPath(new URL('./fixtures/fleet-app.ts', import.meta.url));

interface AppProcess {
  child: ChildProcess;
  base: string;
}

async function startApp(servers: string): Promise<AppProcess> {
  const child = fork(APP, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, FLEET_SERVERS: servers }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`app exited with ${code}`)));
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

// Behind a load balancer every process sees the site's one Host.
const HOST = { host: 'shop.test' };

async function calls(apps: AppProcess[], route: 'slow' | 'flaky'): Promise<number> {
  const counts = await Promise.all(apps.map(async (app) => (JSON.parse((await get(app.base, '/calls')).text) as Record<string, number>)[route]!));
  return counts.reduce((sum, count) => sum + count, 0);
}

/** Resolves once the page's ttl (`ttl` s from `storedAt`) is over: the time it takes is the test's subject. */
async function ttlOver(storedAt: number, ttl: number): Promise<void> {
  const left = storedAt + ttl * 1000 + 100 - Date.now();
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}

describe('view cache grace and lock: 2 Fastify processes over one real memcached, real HTTP', () => {
  let server: MemcachedServer;
  let apps: AppProcess[];
  before(async () => {
    server = await MemcachedServer.start();
    apps = await Promise.all([startApp(server.address), startApp(server.address)]);
  });
  after(async () => {
    await Promise.all(
      apps.map(async ({ child }) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    await server.stop();
  });

  it('500 concurrent cold requests across both processes run the 300 ms handler once; then STALE, then HIT after the one refresh', async (t) => {
    const started = Date.now();
    const responses = await Promise.all(Array.from({ length: 500 }, (_, i) => get(apps[i % 2]!.base, '/slow', HOST)));
    // The page was stored before the last cold response: its ttl is surely over 3 s after that.
    const storedAt = Date.now();
    t.diagnostic(`500 cold requests answered in ${Date.now() - started} ms`);
    assert.equal(await calls(apps, 'slow'), 1, 'the handler ran once in the cluster');
    assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([200]));
    assert.equal(new Set(responses.map((response) => response.text)).size, 1, 'everyone got the one page');

    await ttlOver(storedAt, 3);
    const stale = await Promise.all(Array.from({ length: 100 }, (_, i) => get(apps[i % 2]!.base, '/slow', HOST)));
    // Nobody waits for the handler: each got the stale page, or (on a slow machine, once the refresh is in) the new one as a hit.
    const labels = stale.map((response) => `${response.headers['x-cache']} ${response.text === responses[0]!.text ? 'old' : 'new'}`);
    assert.deepEqual(new Set(labels.filter((label) => label !== 'STALE old' && label !== 'HIT new')), new Set(), 'no MISS, no stale HIT');
    assert.ok(labels.includes('STALE old'), 'the page was answered stale');
    let fresh = stale[0]!;
    for (let pause = 10; fresh.headers['x-cache'] !== 'HIT'; pause = Math.min(pause * 2, 100)) {
      await new Promise((resolve) => setTimeout(resolve, pause));
      fresh = await get(apps[1]!.base, '/slow', HOST);
    }
    assert.notEqual(fresh.text, responses[0]!.text, 'the refreshed page');
    assert.equal(await calls(apps, 'slow'), 2, 'exactly one refresh in the cluster');
  });

  it('the origin failing inside grace: every request gets the stale page (no 5xx), the failure is never stored', async () => {
    const first = await get(apps[0]!.base, '/flaky', HOST);
    const storedAt = Date.now();
    assert.equal(first.status, 200);
    await Promise.all(apps.map((app) => get(app.base, '/failing/on', {}, 'POST')));
    await ttlOver(storedAt, 1);
    const until = Date.now() + 1500;
    const statuses = new Map<number, number>();
    while (Date.now() < until) {
      const batch = await Promise.all(Array.from({ length: 20 }, (_, i) => get(apps[i % 2]!.base, '/flaky', HOST)));
      for (const response of batch) {
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        assert.equal(response.text, first.text);
      }
    }
    assert.deepEqual([...statuses.keys()], [200]);
    assert.ok((await calls(apps, 'flaky')) >= 2, 'refreshes were tried (and failed)');
    await Promise.all(apps.map((app) => get(app.base, '/failing/off', {}, 'POST')));
  });
});
