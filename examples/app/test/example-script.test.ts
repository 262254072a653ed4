import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '@larder/testing';

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
