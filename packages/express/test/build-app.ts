import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cache, MemcachedBackend } from '@larder/core';
import { memoryConformanceCache, type ConformanceCache } from '@larder/http/conformance';
import { MemcachedServer, metaTtl } from '@larder/testing';
import express from 'express';
import express4 from 'express4';
import type { ExpressAppLike } from '../src/index.js';

/** A quiet logger for caches under test. */
export const quiet = { warn: () => {} };

/** An Express major under test: how to make an app and how it spells a trailing wildcard segment. */
export interface ExpressVersion {
  name: string;
  make(): express.Express;
  /** The pattern of a last segment that matches the rest of the path (Express 4 `*`, Express 5 a named `*rest`). */
  wildcard: string;
}

/** Express 5 (`express`) and Express 4 (`express4`), both devDependencies. */
export const expressVersions: readonly ExpressVersion[] = [
  { name: 'Express 5', make: () => express(), wildcard: '*rest' },
  { name: 'Express 4', make: () => express4(), wildcard: '*' },
];

/** The caches every suite runs on: memory (fake clock) and a real memcached from the harness. */
export const suiteCaches: ReadonlyArray<readonly [name: string, open: () => Promise<ConformanceCache>]> = [
  ['memory', memoryConformanceCache],
  ['memcached', memcachedConformanceCache],
];

/** A Cache on a memcached of its own, started for the suite; its ttl is memcached's own clock. */
export async function memcachedConformanceCache(): Promise<ConformanceCache> {
  const server = await MemcachedServer.start();
  const backend = new MemcachedBackend({ servers: server.address, timeout: 1000 });
  return {
    cache: new Cache({ backend, keyPrefix: 'conformance:', logger: quiet }),
    fakeClock: false,
    advance: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
    remainingTtl: (key) => metaTtl(server.host, server.port, key),
    dispose: () => server.stop(),
  };
}

/** Serves `app` on a free loopback port: its base URL, and a close that waits for the server to stop. */
export async function listen(app: ExpressAppLike): Promise<{ base: string; close(): Promise<void> }> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
