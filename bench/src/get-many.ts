import type { Cache } from '@larder/core';
import { compare } from './measure.js';
import { rate, type ResultRow } from './report.js';

/** getMany of 100 keys against 100 sequential awaited gets on the same cache (target >= 10x). */
export async function benchGetManyVsSequential(cache: Cache, keys: readonly string[], benchmark: string): Promise<ResultRow> {
  const batch = keys.slice(0, 100);
  const [many, sequential] = await compare(
    [
      { name: 'getMany(100)', op: () => cache.getMany(batch) },
      {
        name: '100 sequential gets',
        op: async () => {
          for (const key of batch) await cache.get(key);
        },
      },
    ],
    { ops: 300, warmup: 50 },
  );
  const speedup = many!.opsPerSec / sequential!.opsPerSec;
  return {
    benchmark,
    larder: rate(many!.opsPerSec, 'batches/s'),
    baseline: rate(sequential!.opsPerSec, 'batches/s'),
    ratio: speedup,
    target: '>= 10x',
    met: speedup >= 10,
  };
}
