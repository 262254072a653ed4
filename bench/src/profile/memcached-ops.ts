// `node --import tsx src/profile/memcached-ops.ts [seconds]`: what a memcached read costs the
// client process, on one local node: sequential awaited `get`s and `getMany` of 100 keys, each
// for `seconds` (default 3). Prints operations per second and the process's own CPU time per
// operation (user + system, from process.cpuUsage: it hardly moves when other work shares the
// machine), then, with PROFILE=1, a CPU profile of each (self time by place, top functions).
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cache, MemcachedBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import { summariseProfile } from './profile-summary.js';

const seconds = Number(process.argv[2] ?? '3');
const VALUE = 'a typical cached string value of some length';
const server = await MemcachedServer.start();
const cache = new Cache({ backend: new MemcachedBackend({ servers: server.address }) });
const keys = Array.from({ length: 100 }, (_, i) => `bench:${i}`);
for (const key of keys) await cache.set(key, VALUE);

async function measure(name: string, keysPerOp: number, op: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 2000; i++) await op(i);
  const session = process.env.PROFILE === '1' ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let ops = 0;
  while (performance.now() - start < seconds * 1000) await op(ops++);
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  console.log(`${name}: ${Math.round(ops / elapsed).toLocaleString('en-US')} ops/s, ${((cpu.user + cpu.system) / ops).toFixed(1)} us CPU per op, ${((cpu.user + cpu.system) / ops / keysPerOp).toFixed(2)} us per key`);
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    const path = join(tmpdir(), `larder-${name.replace(/\W+/g, '-')}.cpuprofile`);
    writeFileSync(path, JSON.stringify(profile));
    console.log(summariseProfile(path, 15));
    session.disconnect();
  }
}

try {
  await measure('sequential get', 1, (i) => cache.get(keys[i % 100]!));
  await measure('getMany(100)', 100, () => cache.getMany(keys));
} finally {
  await cache.close();
  await server.stop();
}
