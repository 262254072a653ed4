import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MemcachedServer } from '@larder/testing';

const WORKER = fileURLToPath(new URL('./fixtures/session-worker.ts', import.meta.url));

/** An app process: a session store over a Cache with a 10-minute near cache. */
class AppProcess {
  #next = 1;
  readonly #waiting = new Map<number, (result: unknown) => void>();
  readonly ready: Promise<void>;
  readonly child: ChildProcess;
  constructor(servers: string) {
    this.child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, SESSION_SERVERS: servers }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve) => this.#waiting.set(0, () => resolve()));
    this.child.on('message', ({ id, result }: { id: number; result: unknown }) => {
      this.#waiting.get(id)?.(result);
      this.#waiting.delete(id);
    });
  }
  ask(op: string, sid: string, data?: Record<string, unknown>): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.child.send({ id, op, sid, data });
    });
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

describe('sessions never read through a near cache (two processes, real memcached)', () => {
  let server: MemcachedServer;
  let a: AppProcess;
  let b: AppProcess;
  before(async () => {
    server = await MemcachedServer.start();
    a = new AppProcess(server.address);
    b = new AppProcess(server.address);
    await Promise.all([a.ready, b.ready]);
  });
  after(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await server.stop();
  });

  it('a session written in A is read in B at once, and a logout in A is a logout in B at once', async () => {
    const sid = 'near-session-1';
    await a.ask('set', sid, { user: 'ada' });
    assert.deepEqual(await b.ask('get', sid), { user: 'ada' });
    // B's cache now holds the session's key near, as any plain read of it would leave it.
    assert.equal(await b.ask('cache-get', sid), true);
    await a.ask('set', sid, { user: 'ada', cart: 3 });
    assert.deepEqual(await b.ask('get', sid), { user: 'ada', cart: 3 });
    await a.ask('destroy', sid);
    assert.equal(await b.ask('get', sid), null, 'the destroyed session does not come back from B’s memory');
  });
});
