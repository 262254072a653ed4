import { execFileSync } from 'node:child_process';
import memjs from 'memjs';
import { Cache, MemcachedBackend } from '@larder/core';
import { MemcachedServer, SYSTEM_PYTHON } from '@larder/testing';
import { benchGetManyVsSequential } from './get-many.js';
import { compare } from './measure.js';
import { rate, type ResultRow } from './report.js';

const KEYS = 1000;
const VALUE = 'a typical cached string value of some length';
const PYLIBMC_GETS = 20_000;

// One round of sequential gets through pylibmc (the C client) on one node, after a warm-up; prints ops/s.
const PYLIBMC_SCRIPT = `
import sys, time, pylibmc
mc = pylibmc.Client([sys.argv[1]], binary=True, behaviors={'ketama': True})
keys = ['bench:%d' % i for i in range(${KEYS})]
for k in keys: mc.set(k, '${VALUE}')
for i in range(2000): mc.get(keys[i % ${KEYS}])
start = time.perf_counter()
for i in range(${PYLIBMC_GETS}): mc.get(keys[i % ${KEYS}])
print(${PYLIBMC_GETS} / (time.perf_counter() - start))
`;

/** On three local nodes: getMany vs sequential gets, get throughput vs raw memjs; and Larder vs pylibmc on one node. */
export async function benchCluster(): Promise<ResultRow[]> {
  const servers = await Promise.all([MemcachedServer.start(), MemcachedServer.start(), MemcachedServer.start()]);
  const addresses = servers.map((s) => s.address);
  const cache = new Cache({ backend: new MemcachedBackend({ servers: addresses }) });
  const raw = memjs.Client.create(addresses.join(','), { logger: { log: () => {} } });
  const keys = Array.from({ length: KEYS }, (_, i) => `bench:${i}`);
  try {
    for (const key of keys) {
      await cache.set(key, VALUE);
      await raw.set(key, VALUE, { expires: 300 });
    }
    const rows: ResultRow[] = [];
    rows.push(await benchGetManyVsSequential(cache, keys, 'getMany of 100 keys over 3 nodes vs 100 sequential gets'));

    const [larderGet, memjsGet] = await compare(
      [
        { name: 'larder get', op: (i) => cache.get(keys[i % KEYS]!) },
        { name: 'memjs get', op: (i) => raw.get(keys[i % KEYS]!) },
      ],
      { ops: 60_000, concurrency: 50 },
    );
    const ratio = larderGet!.opsPerSec / memjsGet!.opsPerSec;
    rows.push({
      benchmark: 'get over 3 nodes, concurrency 50',
      larder: rate(larderGet!.opsPerSec),
      baseline: `${rate(memjsGet!.opsPerSec)} (raw memjs)`,
      ratio,
      target: '>= 0.9x',
      met: ratio >= 0.9,
    });

    const single = new Cache({ backend: new MemcachedBackend({ servers: addresses[0]! }) });
    // Interleaved rounds, medians on both sides (each pylibmc round is a process of its own, timed inside).
    const larderRounds: number[] = [];
    const pylibmcRounds: number[] = [];
    for (let round = 0; round < 5; round++) {
      const [larderRound] = await compare([{ name: 'larder get', op: (i) => single.get(keys[i % KEYS]!) }], { ops: PYLIBMC_GETS, rounds: 1 });
      larderRounds.push(larderRound!.opsPerSec);
      pylibmcRounds.push(Number(execFileSync(SYSTEM_PYTHON, ['-c', PYLIBMC_SCRIPT, addresses[0]!], { encoding: 'utf8' }).trim()));
    }
    await single.close();
    const larderSequential = { opsPerSec: medianOf(larderRounds) };
    const pylibmc = medianOf(pylibmcRounds);
    rows.push({
      benchmark: 'sequential get on one node: Larder vs pylibmc (C client, outside anchor; 5 interleaved rounds, medians)',
      larder: rate(larderSequential.opsPerSec),
      baseline: `${rate(pylibmc)} (pylibmc)`,
      ratio: larderSequential.opsPerSec / pylibmc,
      target: '>= 0.70x',
      met: larderSequential.opsPerSec / pylibmc >= 0.7,
    });
    return rows;
  } finally {
    raw.close();
    await cache.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

function medianOf(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}
