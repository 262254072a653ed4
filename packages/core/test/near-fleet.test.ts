import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MemcachedServer } from '@larder/testing';
import type { CacheStats } from '../src/index.js';

const WORKER = fileURLToPath(new URL('./fixtures/near-worker.ts', import.meta.url));
const NEAR_TTL_MS = 400;
// What the bound allows past the near ttl: the promise is "within ttl + 50 ms".
const SLACK_MS = 50;

/** A process with a near-cached Cache, answering commands over IPC. */
class NearProcess {
  #next = 1;
  readonly #waiting = new Map<number, (result: unknown) => void>();
  private constructor(readonly child: ChildProcess) {
    child.on('message', ({ id, result }: { id: number; result: unknown }) => {
      this.#waiting.get(id)?.(result);
      this.#waiting.delete(id);
    });
  }

  static async start(servers: string): Promise<NearProcess> {
    const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, NEAR_SERVERS: servers, NEAR_TTL_MS: String(NEAR_TTL_MS) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const process_ = new NearProcess(child);
    await new Promise<void>((resolve) => process_.#waiting.set(0, () => resolve()));
    return process_;
  }

  ask<T = unknown>(op: string, fields: { key?: string; value?: string; ns?: string } = {}): Promise<T> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve as (result: unknown) => void);
      this.child.send({ id, op, ...fields });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/** Polls `read` until it gives `expected`; the ms from `since` to the first read that did. */
async function msUntil(since: number, read: () => Promise<unknown>, expected: unknown): Promise<number> {
  for (;;) {
    const got = await read();
    if (got === expected) return performance.now() - since;
    if (performance.now() - since > 10 * NEAR_TTL_MS) assert.fail(`still ${JSON.stringify(got)} after ${10 * NEAR_TTL_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('near cache across two processes on real memcached', () => {
  let server: MemcachedServer;
  let a: NearProcess;
  let b: NearProcess;
  before(async () => {
    server = await MemcachedServer.start();
    [a, b] = await Promise.all([NearProcess.start(server.address), NearProcess.start(server.address)]);
  });
  after(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await server.stop();
  });

  it('A sets, B (holding the old value near) sees it within ttl + 50 ms', async () => {
    await a.ask('set', { key: 'k1', value: 'old' });
    assert.equal(await b.ask('get', { key: 'k1' }), 'old');
    await a.ask('set', { key: 'k1', value: 'new' });
    const since = performance.now();
    assert.equal(await b.ask('get', { key: 'k1' }), 'old', 'B serves its near copy: bounded staleness, not none');
    const ms = await msUntil(since, () => b.ask('get', { key: 'k1' }), 'new');
    assert.ok(ms <= NEAR_TTL_MS + SLACK_MS, `seen after ${ms.toFixed(0)} ms`);
    assert.equal(await a.ask('get', { key: 'k1' }), 'new', 'A sees its own write at once');
    assert.ok((await b.ask<CacheStats>('stats')).nearHits >= 1);
  });

  it('A deletes, B sees the miss within ttl + 50 ms', async () => {
    await a.ask('set', { key: 'k2', value: 'here' });
    assert.equal(await b.ask('get', { key: 'k2' }), 'here');
    await a.ask('delete', { key: 'k2' });
    const since = performance.now();
    assert.equal(await a.ask('get', { key: 'k2' }), null);
    const ms = await msUntil(since, () => b.ask('get', { key: 'k2' }), null);
    assert.ok(ms <= NEAR_TTL_MS + SLACK_MS, `seen after ${ms.toFixed(0)} ms`);
  });

  it('A clears a namespace, B sees every value of it gone within checkInterval (= ttl) + 50 ms', async () => {
    await a.ask('ns-set', { ns: 'products', key: '7', value: 'seven' });
    await a.ask('ns-set', { ns: 'products', key: '8', value: 'eight' });
    assert.equal(await b.ask('ns-get', { ns: 'products', key: '7' }), 'seven');
    assert.equal(await b.ask('ns-get', { ns: 'products', key: '8' }), 'eight');
    assert.equal(await b.ask('ns-get', { ns: 'products', key: '7' }), 'seven');
    await a.ask('ns-clear', { ns: 'products' });
    const since = performance.now();
    assert.equal(await a.ask('ns-get', { ns: 'products', key: '7' }), null, 'A sees its own clear at once');
    const ms7 = await msUntil(since, () => b.ask('ns-get', { ns: 'products', key: '7' }), null);
    const ms8 = await msUntil(since, () => b.ask('ns-get', { ns: 'products', key: '8' }), null);
    assert.ok(Math.max(ms7, ms8) <= NEAR_TTL_MS + SLACK_MS, `seen after ${ms7.toFixed(0)} / ${ms8.toFixed(0)} ms`);
  });
});
