// `node --import tsx src/profile/cpu-per-request.ts <pageKB> <target>...`: the profile server's
// own CPU time per request (user + system, from /proc) for each target (app/route, e.g.
// memory/cached), in interleaved rounds, medians. Unlike requests per second, CPU per request
// hardly moves when other work shares the machine, so it tells two hit paths apart on a busy one.
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { MemcachedServer } from '@larder/testing';
import { startServerProcess } from '../server-process.js';

const TICKS_PER_SECOND = 100;

/** User + system CPU time of process `pid` so far, in microseconds (from /proc/<pid>/stat). */
export function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_SECOND;
}

const [pageKb = '1', ...targets] = process.argv.slice(2);
const rounds = Number(process.env.PROFILE_ROUNDS ?? '5');
const memcached = await MemcachedServer.start();
const server = await startServerProcess<Record<string, number>>(new URL('./profile-servers.ts', import.meta.url), { BENCH_MEMCACHED: memcached.address, PROFILE_PAGE_KB: pageKb });
try {
  const samples = new Map<string, number[]>(targets.map((target) => [target, []]));
  for (let round = -1; round < rounds; round++) {
    for (const target of targets) {
      const [app, route] = target.split('/');
      const url = `http://127.0.0.1:${server.ports[app!]}/${route}`;
      const before = cpuMicros(server.pid);
      const result = await autocannon({ url, connections: 50, amount: 20_000 });
      const used = cpuMicros(server.pid) - before;
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${target}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      if (round >= 0) samples.get(target)!.push(used / result.requests.total);
    }
  }
  for (const [target, values] of samples) {
    values.sort((a, b) => a - b);
    console.log(`${target.padEnd(20)} ${values[Math.floor(values.length / 2)]!.toFixed(1)} µs CPU per request (${values.map((v) => v.toFixed(1)).join(' ')})`);
  }
} finally {
  server.stop();
  await memcached.stop();
}
