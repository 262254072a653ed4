import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitForPort } from '@larder/testing';
import { START_COMMAND } from '../src/server-settings.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const READY = /^example: the Express shop is at http:\/\/127\.0\.0\.1:(\d+)\/$/m;

/** The example server started as its README line says, from the repository's root, with nothing of the test's memcached or secret. */
function runServer(env: NodeJS.ProcessEnv) {
  const [command, ...args] = START_COMMAND.split(' ');
  assert.equal(command, 'bash');
  // The tree is set up and built already; the script replaces itself with Node (exec).
  const child = spawn('bash', args, {
    cwd: root,
    env: { ...process.env, MEMCACHED_SERVERS: '', MEMCACHIER_SERVERS: '', EXAMPLE_MEMCACHED_SERVERS: '', HOST: '127.0.0.1', SESSION_SECRET: '', ...env, LARDER_EXAMPLE_SKIP_SETUP: '1' },
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
      assert.match(server.stdout(), /using the in-memory backend/);
      assert.match(server.stdout(), /SESSION_SECRET is not set; using the development secret/);
      server.child.kill(signal);
      const [code] = await server.exited;
      assert.equal(code, 0);
      assert.equal(server.stderr(), '');
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
      assert.equal(server.stderr(), `example: 127.0.0.1:${port} is already in use; stop what listens there or choose another port, e.g. PORT=${port + 1} ${START_COMMAND}\n`);
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
