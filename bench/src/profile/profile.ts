// `node --import tsx src/profile/profile.ts <app> [pageKB] [seconds]`: loads one cached route of the
// profile server (app: memory, near, memcached, express; `plain` after a slash, e.g. memory/plain)
// with autocannon while the server process writes a CPU profile, then prints where its time went.
import autocannon from 'autocannon';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemcachedServer } from '@larder/testing';
import { startServerProcess } from '../server-process.js';
import { summariseProfile } from './profile-summary.js';

const [target = 'memory', pageKb = '1', seconds = '5'] = process.argv.slice(2);
const [app, route = 'cached'] = target.split('/');
const dir = mkdtempSync(join(tmpdir(), 'larder-profile-'));
const memcached = await MemcachedServer.start();
process.env.BENCH_CPU_PROF = dir;
const server = await startServerProcess<Record<string, number>>(new URL('./profile-servers.ts', import.meta.url), { BENCH_MEMCACHED: memcached.address, PROFILE_PAGE_KB: pageKb });
try {
  const url = `http://127.0.0.1:${server.ports[app!]}/${route}`;
  await autocannon({ url, connections: 50, duration: 1 });
  const result = await autocannon({ url, connections: 50, duration: Number(seconds) });
  console.log(`${target} ${pageKb} KB: ${Math.round(result.requests.average)} req/s, ${result.non2xx} non-2xx`);
} finally {
  server.stop();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await memcached.stop();
}
const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
if (file === undefined) throw new Error(`no profile written in ${dir}`);
console.log(summariseProfile(join(dir, file)));
