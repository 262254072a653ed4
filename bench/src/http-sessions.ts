import { MemcachedServer } from '@larder/testing';
import { CONNECTIONS, interleavedRates } from './http-rate.js';
import { rate, type ResultRow } from './report.js';
import { startServerProcess } from './server-process.js';

/** Logs in once and returns the `cookie` header that carries the session. */
async function login(base: string): Promise<string> {
  const response = await fetch(`${base}/login`, { method: 'POST' });
  const cookie = response.headers.get('set-cookie');
  if (!response.ok || !cookie) throw new Error(`login at ${base} failed: ${response.status}`);
  return cookie.split(';')[0]!;
}

/** A route that reads and writes the session: MemcachedStore on memcached vs @fastify/session's memory store. */
export async function benchHttpSessions(): Promise<ResultRow[]> {
  const memcached = await MemcachedServer.start();
  const server = await startServerProcess<{ memory: number; memcached: number }>(new URL('./session-servers.ts', import.meta.url), { BENCH_MEMCACHED: memcached.address });
  try {
    const memoryBase = `http://127.0.0.1:${server.ports.memory}`;
    const memcachedBase = `http://127.0.0.1:${server.ports.memcached}`;
    const [memoryStore, memcachedStore] = await interleavedRates([
      { url: `${memoryBase}/visit`, headers: { cookie: await login(memoryBase) } },
      { url: `${memcachedBase}/visit`, headers: { cookie: await login(memcachedBase) } },
    ]);
    return [
      {
        benchmark: `session read + write per request: MemcachedStore on memcached vs @fastify/session memory store (autocannon, ${CONNECTIONS} connections)`,
        larder: rate(memcachedStore!, 'req/s'),
        baseline: `${rate(memoryStore!, 'req/s')} (built-in memory store)`,
        ratio: memcachedStore! / memoryStore!,
        target: '>= 0.5x',
        met: memcachedStore! / memoryStore! >= 0.5,
      },
    ];
  } finally {
    server.stop();
    await memcached.stop();
  }
}
