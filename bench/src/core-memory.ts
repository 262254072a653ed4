import { LRUCache } from 'lru-cache';
import { Cache, MemoryBackend } from '@larder/core';
import { compare } from './measure.js';
import { rate, type ResultRow } from './report.js';

const KEYS = 1000;
const OPS = 200_000;

/** Cache(memory) get and set against lru-cache called directly inside an async function. */
export async function benchCoreMemory(): Promise<ResultRow[]> {
  const cache = new Cache({ backend: new MemoryBackend() });
  const raw = new LRUCache<string, string>({ max: 10_000, ttl: 300_000 });
  const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`);
  const value = 'a typical cached string value of some length';
  for (const key of keys) {
    await cache.set(key, value);
    raw.set(key, value);
  }
  const rawGet = async (key: string) => raw.get(key);
  const rawSet = async (key: string, v: string) => raw.set(key, v);

  const [larderGet, lruGet] = await compare(
    [
      { name: 'larder get', op: (i) => cache.get(keys[i % KEYS]!) },
      { name: 'lru-cache get', op: (i) => rawGet(keys[i % KEYS]!) },
    ],
    { ops: OPS },
  );
  const [larderSet, lruSet] = await compare(
    [
      { name: 'larder set', op: (i) => cache.set(keys[i % KEYS]!, value) },
      { name: 'lru-cache set', op: (i) => rawSet(keys[i % KEYS]!, value) },
    ],
    { ops: OPS },
  );
  await cache.close();
  const row = (benchmark: string, larder: number, baseline: number): ResultRow => {
    const overhead = baseline / larder;
    return { benchmark, larder: rate(larder), baseline: `${rate(baseline)} (lru-cache)`, ratio: overhead, target: 'overhead <= 1.5x', met: overhead <= 1.5 };
  };
  return [row('Cache(memory) get', larderGet!.opsPerSec, lruGet!.opsPerSec), row('Cache(memory) set', larderSet!.opsPerSec, lruSet!.opsPerSec)];
}
