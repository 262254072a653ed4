import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { MemcachedBackend, type LarderError } from '../src/index.js';

/** A loopback TCP server handing every connection to `serve` (a fake memcached); closed after the test. Resolves with its `host:port`. */
export async function fakeServer(t: TestContext, serve: (socket: Socket) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket)).on('error', () => {});
    serve(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

/**
 * Asserts what a fake server answering every first request with `garbage` does to a call on
 * `protocol`: it fails E_CONNECTION as an unreadable answer at once (not at its 5 s timeout), and
 * the next call makes a new connection.
 */
export async function assertUnreadable(t: TestContext, protocol: 'binary' | 'meta', garbage: Buffer | string): Promise<void> {
  let connections = 0;
  const address = await fakeServer(t, (socket) => {
    connections++;
    socket.once('data', () => socket.write(garbage));
  });
  const backend = new MemcachedBackend({ servers: address, protocol, timeout: 5000, failureLimit: 100 });
  t.after(() => backend.close());
  const started = performance.now();
  const error = (await backend.get('k').then(() => undefined, (e: unknown) => e)) as LarderError | undefined;
  assert.equal(error?.code, 'E_CONNECTION');
  assert.match(error.message, /unreadable answer/);
  assert.ok(performance.now() - started < 2000, 'failed at once, not at the timeout');
  await backend.get('k').catch(() => undefined);
  assert.equal(connections, 2, 'the broken connection was dropped and a new one made');
}
