import { MemcachedServer } from '@larder/testing';
import { CONNECTIONS, interleavedRates } from './http-rate.js';
import { rate, type ResultRow } from './report.js';
import { sealingCost } from './seal-cost.js';
import { startServerProcess } from './server-process.js';

/** Logs in once and returns the `cookie` header that carries the session. */
async function login(base: string): Promise<string> {
  const response = await fetch(`${base}/login`, { method: 'POST' });
  const cookie = response.headers.get('set-cookie');
  if (!response.ok || !cookie) throw new Error(`login at ${base} failed: ${response.status}`);
  return cookie.split(';')[0]!;
}

type Store = 'memory' | 'memcached' | 'sealed';

/**
 * Session routes under autocannon, all in one run: a route that changes the session (a read and
 * a write per request) and a route that does not (a read and, with `rolling`, a touch), on
 * @fastify/session's memory store, MemcachedStore on memcached, and MemcachedStore sealing its
 * sessions; then what sealing itself costs per session, measured in this process.
 */
export async function benchHttpSessions(): Promise<ResultRow[]> {
  const memcached = await MemcachedServer.start();
  const server = await startServerProcess<Record<Store, number>>(new URL('./session-servers.ts', import.meta.url), { BENCH_MEMCACHED: memcached.address });
  try {
    const base = (store: Store) => `http://127.0.0.1:${server.ports[store]}`;
    const cookies = { memory: await login(base('memory')), memcached: await login(base('memcached')), sealed: await login(base('sealed')) };
    const target = (store: Store, route: string) => ({ url: `${base(store)}${route}`, headers: { cookie: cookies[store] } });
    const [memoryWrite, memcachedWrite] = await interleavedRates([target('memory', '/visit'), target('memcached', '/visit')]);
    const [memoryRead, sealedRead, plainRead] = await interleavedRates([target('memory', '/me'), target('sealed', '/me'), target('memcached', '/me')]);
    const cost = await sealingCost();
    const via = `autocannon, ${CONNECTIONS} connections`;
    return [
      {
        benchmark: `session read + write per request: MemcachedStore on memcached vs @fastify/session memory store (${via})`,
        larder: rate(memcachedWrite!, 'req/s'),
        baseline: `${rate(memoryWrite!, 'req/s')} (built-in memory store)`,
        ratio: memcachedWrite! / memoryWrite!,
        target: '>= 0.5x',
        met: memcachedWrite! / memoryWrite! >= 0.5,
      },
      {
        benchmark: `session read + unchanged request (rolling: a touch, no write): MemcachedStore sealed vs @fastify/session memory store (${via})`,
        larder: rate(sealedRead!, 'req/s'),
        baseline: `${rate(memoryRead!, 'req/s')} (built-in memory store)`,
        ratio: sealedRead! / memoryRead!,
        target: '>= 0.75x',
        met: sealedRead! / memoryRead! >= 0.75,
      },
      {
        benchmark: `sealing's cost on that route: MemcachedStore sealed vs the same store unsealed (${via})`,
        larder: rate(sealedRead!, 'req/s'),
        baseline: `${rate(plainRead!, 'req/s')} (unsealed, plain JSON)`,
        ratio: sealedRead! / plainRead!,
        target: 'printed, no target',
        met: true,
      },
      {
        benchmark: `sealing's own cost per session (${cost.bytes}-byte session, in process, in-memory cache): sealed vs unsealed MemcachedStore, a read of a value another process wrote`,
        larder: `write +${cost.sealMicros.toFixed(1)} µs, read +${cost.openMicros.toFixed(1)} µs, read of bytes read before +${cost.reopenMicros.toFixed(1)} µs`,
        baseline: `write ${cost.plainWriteMicros.toFixed(1)} µs, read ${cost.plainReadMicros.toFixed(1)} µs (unsealed)`,
        ratio: (cost.plainReadMicros + cost.openMicros) / cost.plainReadMicros,
        target: 'printed, no target',
        met: true,
      },
    ];
  } finally {
    server.stop();
    await memcached.stop();
  }
}
