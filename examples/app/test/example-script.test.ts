import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, MemcachedServer, waitForPort } from '@larder/testing';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** `bash scripts/example.sh` as the README runs it (setup skipped: the test run has built the tree). */
function runExampleScript(env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string; exited: Promise<[number | null, NodeJS.Signals | null]> } {
  const child = spawn('bash', ['scripts/example.sh'], {
    cwd: root,
    env: { ...process.env, MEMCACHED_SERVERS: '', MEMCACHIER_SERVERS: '', HOST: '127.0.0.1', SESSION_SECRET: '', ...env, LARDER_EXAMPLE_SKIP_SETUP: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, stderr: () => stderr, exited };
}

/** True when a TCP connection to 127.0.0.1:port is accepted. */
function accepts(port: number): Promise<boolean> {
  return waitForPort('127.0.0.1', port, 0).then(
    () => true,
    () => false,
  );
}

describe('scripts/example.sh', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops the server on ${signal} sent to the script's process: nothing keeps listening`, async () => {
      const port = await freePort();
      const { child, exited } = runExampleScript({ PORT: String(port) });
      await waitForPort('127.0.0.1', port, 30_000);
      assert.equal((await fetch(`http://127.0.0.1:${port}/catalog`)).status, 200);
      // The script execs node: the process we signal is the server, not a shell above it.
      assert.match(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8'), /server\.ts/);
      child.kill(signal);
      const [code] = await exited;
      assert.equal(code, 0);
      assert.equal(await accepts(port), false, `something still listens on ${port} after ${signal}`);
    });
  }

  it('prints one plain line with the URL when it listens', async () => {
    const port = await freePort();
    const child = spawn('bash', ['scripts/example.sh'], {
      cwd: root,
      env: { ...process.env, MEMCACHED_SERVERS: '', MEMCACHIER_SERVERS: '', HOST: '127.0.0.1', SESSION_SECRET: '', PORT: String(port), LARDER_EXAMPLE_SKIP_SETUP: '1' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = once(child, 'exit');
    await waitForPort('127.0.0.1', port, 30_000);
    await fetch(`http://127.0.0.1:${port}/catalog`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGTERM');
    await exited;
    assert.equal(stdout, `example: the Fastify shop is at http://127.0.0.1:${port}/ (Ctrl-C stops it)\n`);
  });

  it('says in one line that the port is busy and exits non-zero', async () => {
    const busy: Server = createServer();
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const { port } = busy.address() as { port: number };
    try {
      const { stderr, exited } = runExampleScript({ PORT: String(port) });
      const [code] = await exited;
      assert.equal(code, 1);
      // The start-up warnings (in-memory backend, development secret) come first, one plain line each.
      const lines = stderr().trimEnd().split('\n');
      assert.equal(lines.at(-1), `example: 127.0.0.1:${port} is already in use; stop what listens there or choose another port, e.g. PORT=${port + 1} bash scripts/example.sh`);
      for (const line of lines.slice(0, -1)) assert.match(line, /^warn: /);
    } finally {
      busy.close();
    }
  });

  it('rejects a bad PORT or a short SESSION_SECRET in one line, before starting', async () => {
    const badPort = runExampleScript({ PORT: 'eighty' });
    assert.equal((await badPort.exited)[0], 1);
    assert.equal(badPort.stderr(), 'example: PORT must be a TCP port number from 0 to 65535, not "eighty"\n');
    const shortSecret = runExampleScript({ PORT: '0', SESSION_SECRET: 'too short' });
    assert.equal((await shortSecret.exited)[0], 1);
    assert.equal(shortSecret.stderr(), 'example: SESSION_SECRET must be at least 32 characters (it has 9)\n');
  });
});

/** The script started with `env`, its stdout and stderr kept; `ready` resolves with the port once the URL line is printed. */
function startExample(env: NodeJS.ProcessEnv) {
  const inherited = { ...process.env };
  for (const name of Object.keys(inherited)) if (/^(MEMCACHED|MEMCACHIER|EXAMPLE_MEMCACHED)_/.test(name)) delete inherited[name];
  const child = spawn('bash', ['scripts/example.sh'], {
    cwd: root,
    env: { ...inherited, HOST: '127.0.0.1', SESSION_SECRET: '', PORT: '0', ...env, LARDER_EXAMPLE_SKIP_SETUP: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /shop is at http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    void exited.then(([code]) => reject(new Error(`the example exited (${code}) before listening: ${stderr}`)));
  });
  ready.catch(() => {});
  return { child, ready, exited, stderr: () => stderr };
}

/** Runs the example with `env`, expects exit 1 and returns its last stderr line; every line before it is a plain warning. */
async function refusedStart(env: NodeJS.ProcessEnv): Promise<string> {
  const { child, exited, stderr } = startExample(env);
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  void exited.finally(() => clearTimeout(guard));
  const [code] = await exited;
  assert.equal(code, 1, stderr());
  const lines = stderr().trimEnd().split('\n');
  for (const line of lines.slice(0, -1)) assert.match(line, /^warn: /);
  assert.doesNotMatch(stderr(), /^\s+at /m, 'a stack trace');
  return lines.at(-1)!;
}

describe('scripts/example.sh checks memcached at start (connect())', () => {
  it('an unparseable MEMCACHED_SERVERS is one line and exit 1', async () => {
    assert.equal(
      await refusedStart({ MEMCACHED_SERVERS: 'localhost:eleven' }),
      'example: MEMCACHED_SERVERS="localhost:eleven" cannot be parsed: cannot parse server "localhost:eleven" (expected host:port[:weight]); write host:port entries separated by commas, e.g. 127.0.0.1:11211',
    );
  });

  it('a username without a password is one line and exit 1, before connecting', async () => {
    assert.equal(await refusedStart({ MEMCACHED_SERVERS: '127.0.0.1:1', MEMCACHED_USERNAME: 'shop' }), 'example: MEMCACHED_USERNAME is set (shop) but MEMCACHED_PASSWORD is not: SASL needs both, or set neither');
  });

  it('SASL credentials memcached rejects, or none for a SASL server, are one line and exit 1', async (t) => {
    const server = await MemcachedServer.start({ sasl: { username: 'shop', password: 'right password' } });
    t.after(() => server.stop());
    assert.equal(
      await refusedStart({ MEMCACHED_SERVERS: server.address, MEMCACHED_USERNAME: 'shop', MEMCACHED_PASSWORD: 'wrong' }),
      `example: memcached ${server.address} rejected the SASL credentials of "shop": check MEMCACHED_USERNAME and its _PASSWORD`,
    );
    assert.equal(await refusedStart({ MEMCACHED_SERVERS: server.address }), `example: memcached ${server.address} requires SASL and MEMCACHED_USERNAME is not set: set it and its _PASSWORD`);
    // The right credentials start the shop, with no warning about memcached.
    const started = startExample({ MEMCACHED_SERVERS: server.address, MEMCACHED_USERNAME: 'shop', MEMCACHED_PASSWORD: 'right password' });
    const port = await started.ready;
    assert.equal((await fetch(`http://127.0.0.1:${port}/catalog`)).status, 200);
    started.child.kill('SIGTERM');
    assert.equal((await started.exited)[0], 0);
    assert.doesNotMatch(started.stderr(), /unreachable|rejected/);
  });

  it('memcached unreachable (a closed port): one warning line, and the shop starts and serves', async (t) => {
    const closed = await freePort();
    const { child, ready, exited, stderr } = startExample({ MEMCACHED_SERVERS: `127.0.0.1:${closed}` });
    t.after(() => child.kill('SIGKILL'));
    const port = await ready;
    assert.equal((await fetch(`http://127.0.0.1:${port}/catalog`)).status, 200);
    child.kill('SIGTERM');
    assert.equal((await exited)[0], 0);
    const warnings = stderr().split('\n').filter((line) => line.includes('unreachable'));
    assert.deepEqual(warnings, [
      `warn: example: memcached is unreachable (memcached 127.0.0.1:${closed}: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:${closed})); starting anyway: the cache misses and log-in answers 503 until it is back`,
    ]);
  });

  it('a plain memcached that answers: the shop starts with no warning about it', async (t) => {
    const server = await MemcachedServer.start();
    t.after(() => server.stop());
    const { child, ready, exited, stderr } = startExample({ MEMCACHED_SERVERS: server.address });
    const port = await ready;
    assert.equal((await fetch(`http://127.0.0.1:${port}/catalog`)).status, 200);
    child.kill('SIGTERM');
    assert.equal((await exited)[0], 0);
    assert.doesNotMatch(stderr(), /unreachable|rejected|error/i);
  });
});
