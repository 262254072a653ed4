// One measurement of the memory curve, in a fresh process run with --expose-gc:
// `memory-child.ts <larder|lru-cache> <value bytes> <entries>` fills one cache with that many
// distinct values of that size and prints the bytes it holds per entry as one JSON line
// (V8 heap used plus Buffer memory, after full GCs, against the same before the cache existed).
import { LRUCache } from 'lru-cache';
import { Cache, MemoryBackend } from '@larder/core';
import { distinctText } from './distinct-text.js';

const [kind, sizeText, countText] = process.argv.slice(2);
const size = Number(sizeText);
const count = Number(countText);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
if ((kind !== 'larder' && kind !== 'lru-cache') || !(size > 0) || !(count > 0)) throw new Error('usage: memory-child.ts <larder|lru-cache> <value bytes> <entries>');

function held(): number {
  for (let i = 0; i < 4; i++) gc!();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

// Warm both code paths on a throwaway cache so compiled code and lazily built tables are in the baseline.
const warm = new Cache({ backend: new MemoryBackend() });
for (let i = 0; i < 100; i++) await warm.set(`warm:${i}`, distinctText(size, i));
await warm.close();
new LRUCache<string, string>({ max: 100 }).set('warm', distinctText(size, 0));

const before = held();
// Held in a module variable, so the cache stays alive through the second measurement.
let keep: unknown;
if (kind === 'larder') {
  const cache = new Cache({ backend: new MemoryBackend({ maxItems: count, maxBytes: 4 * 1024 ** 3 }) });
  for (let i = 0; i < count; i++) await cache.set(`entry:${i}`, distinctText(size, i));
  if ((await cache.get(`entry:${count - 1}`)) !== distinctText(size, count - 1)) throw new Error('larder lost an entry');
  keep = cache;
} else {
  const cache = new LRUCache<string, string>({ max: count });
  for (let i = 0; i < count; i++) cache.set(`entry:${i}`, distinctText(size, i));
  if (cache.size !== count) throw new Error('lru-cache lost an entry');
  keep = cache;
}
const after = held();
console.log(JSON.stringify({ kind, size, count, bytesPerEntry: (after - before) / count }));
void keep;
