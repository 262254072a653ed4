import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, MemcachedServer, waitForPort } from '@larder/testing';
import { START_COMMAND } from '../src/server-settings.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const READY = /^example: the Express shop is at http:\/\/127\.0\.0\.1:(\d+)\/ \(Ctrl-C stops it\)$/m;

/** The example server started as its README line says, from the repository's root, with nothing of the test's memcached or secret. */
function runServer(env: NodeJS.ProcessEnv) {
  const [command, ...args] = START_COMMAND.split(' ');
  assert.equal(command, 'bash');
  // The tree is set up and built already; the script replaces itself with Node (exec).
  const child = spawn('bash', args, {
    cwd: root,
    env: { ...withoutMemcachedVariables(process.env), HOST: '127.0.0.1', SESSION_SECRET: '', ...env, LARDER_EXAMPLE_SKIP_SETUP: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  // The server prints its address once it listens: waited for as an event, not polled.
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = READY.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    void exited.then(([code]) => reject(new Error(`the server exited (${code}) before listening: ${stderr}`)));
  });
  // Only the tests that start a server await it; the others expect the exit.
  ready.catch(() => {});
  return { child, ready, exited, stderr: () => stderr, stdout: () => stdout };
}

/** `env` without any MEMCACHED_* / MEMCACHIER_* / EXAMPLE_MEMCACHED_* variable. */
function withoutMemcachedVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^(MEMCACHED|MEMCACHIER|EXAMPLE_MEMCACHED)_/.test(name)));
}

/** Runs the server with `env`, expects exit 1 and returns its last stderr line; every line before it is a plain warning, no stack trace. */
async function refusedStart(env: NodeJS.ProcessEnv): Promise<string> {
  const server = runServer({ PORT: '0', ...env });
  const guard = setTimeout(() => server.child.kill('SIGKILL'), 30_000);
  const [code] = await server.exited.finally(() => clearTimeout(guard));
  assert.equal(code, 1, server.stderr());
  const lines = server.stderr().trimEnd().split('\n');
  for (const line of lines.slice(0, -1)) assert.match(line, /^warn: /);
  assert.doesNotMatch(server.stderr(), /^\s+at /m, 'a stack trace');
  return lines.at(-1)!;
}

/** True when a TCP connection to 127.0.0.1:port is accepted. */
function accepts(port: number): Promise<boolean> {
  return waitForPort('127.0.0.1', port, 0).then(
    () => true,
    () => false,
  );
}

describe(`the Express example server (${START_COMMAND})`, () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`serves on the port it was given, and stops on ${signal}: exit 0, nothing keeps listening`, async () => {
      const server = runServer({ PORT: '0' });
      const port = await server.ready;
      const response = await fetch(`http://127.0.0.1:${port}/catalog`, { headers: { connection: 'keep-alive' } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-cache'), 'MISS');
      await response.text();
      server.child.kill(signal);
      const [code] = await server.exited;
      assert.equal(code, 0);
      // stdout holds the URL line alone; the start-up warnings are plain lines on stderr.
      assert.equal(server.stdout(), `example: the Express shop is at http://127.0.0.1:${port}/ (Ctrl-C stops it)\n`);
      assert.equal(
        server.stderr(),
        'warn: larder: no MEMCACHIER_SERVERS or MEMCACHED_SERVERS set; using the in-memory backend\nwarn: example: SESSION_SECRET is not set; using the development secret\n',
      );
      assert.equal(await accepts(port), false, `something still listens on ${port} after ${signal}`);
    });
  }

  it('says in one line that the port is busy and exits non-zero', async () => {
    const busy: Server = createServer();
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const { port } = busy.address() as { port: number };
    try {
      const server = runServer({ PORT: String(port) });
      const [code] = await server.exited;
      assert.equal(code, 1);
      assert.equal(server.stderr().split('\n').filter((line) => !line.startsWith('warn: ')).join('\n'), `example: 127.0.0.1:${port} is already in use; stop what listens there or choose another port, e.g. PORT=${port + 1} ${START_COMMAND}\n`);
    } finally {
      busy.close();
    }
  });

  it('rejects a bad PORT or a short SESSION_SECRET in one line, before starting', async () => {
    const badPort = runServer({ PORT: 'eighty' });
    const shortSecret = runServer({ PORT: '0', SESSION_SECRET: 'too short' });
    assert.equal((await badPort.exited)[0], 1);
    assert.equal(badPort.stderr(), 'example: PORT must be a TCP port number from 0 to 65535, not "eighty"\n');
    assert.equal((await shortSecret.exited)[0], 1);
    assert.equal(shortSecret.stderr(), 'example: SESSION_SECRET must be at least 32 characters (it has 9)\n');
  });
});

describe(`the Express example server checks memcached at start (connect())`, () => {
  it('an unparseable MEMCACHED_SERVERS is one line and exit 1', async () => {
    assert.equal(
      await refusedStart({ MEMCACHED_SERVERS: 'localhost:eleven' }),
      'example: MEMCACHED_SERVERS="localhost:eleven" cannot be parsed: cannot parse server "localhost:eleven" (expected host:port[:weight]); write host:port entries separated by commas, e.g. 127.0.0.1:11211',
    );
  });

  it('a username without a password is one line and exit 1, before connecting', async () => {
    assert.equal(await refusedStart({ MEMCACHED_SERVERS: '127.0.0.1:1', MEMCACHED_USERNAME: 'shop' }), 'example: MEMCACHED_USERNAME is set (shop) but MEMCACHED_PASSWORD is not: SASL needs both, or set neither');
  });

  it('SASL credentials memcached rejects, or none for a SASL server, are one line and exit 1; the right ones start it', async (t) => {
    const memcached = await MemcachedServer.start({ sasl: { username: 'shop', password: 'right password' } });
    t.after(() => memcached.stop());
    assert.equal(
      await refusedStart({ MEMCACHED_SERVERS: memcached.address, MEMCACHED_USERNAME: 'shop', MEMCACHED_PASSWORD: 'wrong' }),
      `example: memcached ${memcached.address} rejected the SASL credentials of "shop": check MEMCACHED_USERNAME and its _PASSWORD`,
    );
    assert.equal(await refusedStart({ MEMCACHED_SERVERS: memcached.address }), `example: memcached ${memcached.address} requires SASL and MEMCACHED_USERNAME is not set: set it and its _PASSWORD`);
    const server = runServer({ PORT: '0', MEMCACHED_SERVERS: memcached.address, MEMCACHED_USERNAME: 'shop', MEMCACHED_PASSWORD: 'right password' });
    const port = await server.ready;
    assert.equal((await fetch(`http://127.0.0.1:${port}/catalog`)).status, 200);
    server.child.kill('SIGTERM');
    assert.equal((await server.exited)[0], 0);
    assert.doesNotMatch(server.stderr(), /unreachable|rejected/);
  });

  it('memcached unreachable (a closed port): one warning line, and the shop starts and serves', async (t) => {
    const closed = await freePort();
    const server = runServer({ PORT: '0', MEMCACHED_SERVERS: `127.0.0.1:${closed}` });
    t.after(() => server.child.kill('SIGKILL'));
    const port = await server.ready;
    assert.equal((await fetch(`http://127.0.0.1:${port}/catalog`)).status, 200);
    server.child.kill('SIGTERM');
    assert.equal((await server.exited)[0], 0);
    const warnings = server.stderr().split('\n').filter((line) => line.includes('unreachable'));
    assert.deepEqual(warnings, [
      `warn: example: memcached is unreachable (memcached 127.0.0.1:${closed}: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:${closed})); starting anyway: the cache misses and log-in answers 503 until it is back`,
    ]);
  });

  it('a plain memcached that answers: the shop starts with no warning about it', async (t) => {
    const memcached = await MemcachedServer.start();
    t.after(() => memcached.stop());
    const server = runServer({ PORT: '0', MEMCACHED_SERVERS: memcached.address });
    const port = await server.ready;
    assert.equal((await fetch(`http://127.0.0.1:${port}/catalog`)).status, 200);
    server.child.kill('SIGTERM');
    assert.equal((await server.exited)[0], 0);
    assert.doesNotMatch(server.stderr(), /unreachable|rejected|error/i);
  });
});
