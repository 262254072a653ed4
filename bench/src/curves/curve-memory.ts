import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runDescription, times, whole, writeCurve } from './output.js';
import type { CurveSettings } from './settings.js';

/** Value sizes of the curve, in bytes. */
export const VALUE_SIZES = [100, 316, 1024, 4096, 16_384, 65_536] as const;
const KINDS = ['larder', 'lru-cache'] as const;
/** Bytes of values each measurement holds (entries = this / size, between 500 and 20,000). */
const PAYLOAD = 32 * 1024 * 1024;
const run = promisify(execFile);

/** Entries held in one measurement of values of `size` bytes. */
export function entriesFor(size: number, quick: boolean): number {
  const entries = Math.min(20_000, Math.max(500, Math.floor(PAYLOAD / size)));
  return quick ? Math.min(entries, 2000) : entries;
}

/** Bytes per entry of one cache kind holding `count` values of `size` bytes, measured in a fresh process. */
async function measure(kind: (typeof KINDS)[number], size: number, count: number): Promise<number> {
  const child = fileURLToPath(new URL('./memory-child.ts', import.meta.url));
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', child, kind, String(size), String(count)], { maxBuffer: 1 << 20 });
  return (JSON.parse(stdout.trim().split('\n').pop()!) as { bytesPerEntry: number }).bytesPerEntry;
}

/**
 * Memory per cached entry against the value's size: Cache on a MemoryBackend next to lru-cache
 * holding the same distinct text values (V8 heap plus Buffer memory after full GCs, divided by
 * entries, each measurement in its own process; median of the rounds).
 */
export async function curveMemory(settings: CurveSettings): Promise<void> {
  const samples = new Map<string, number[]>();
  for (let round = 0; round < settings.rounds; round++) {
    for (const size of VALUE_SIZES) {
      for (const kind of KINDS) {
        const key = `${kind}/${size}`;
        samples.set(key, [...(samples.get(key) ?? []), await measure(kind, size, entriesFor(size, settings.quick))]);
      }
    }
  }
  const at = (kind: string, size: number) => {
    const values = [...samples.get(`${kind}/${size}`)!].sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)]!;
  };
  writeCurve(
    settings,
    'curve-memory',
    {
      title: 'Memory per cached entry against value size',
      subtitle: `distinct text values, heap + Buffers after GC / entries; median of ${settings.rounds} fresh processes; ${runDescription(settings)}`,
      x: { label: 'value size', log: true, ticks: VALUE_SIZES, format: byteSize },
      y: { label: 'memory per entry', log: true, ticks: VALUE_SIZES, format: byteSize },
      series: [
        { name: 'Larder Cache, MemoryBackend', points: VALUE_SIZES.map((size) => [size, at('larder', size)] as [number, number]) },
        { name: 'lru-cache', points: VALUE_SIZES.map((size) => [size, at('lru-cache', size)] as [number, number]) },
        { name: 'the value itself (1 byte per character)', points: VALUE_SIZES.map((size) => [size, size] as [number, number]), dashed: true },
      ],
    },
    {
      columns: ['value size', 'entries', 'Larder per entry', 'lru-cache per entry', 'Larder / lru-cache', 'Larder overhead', 'lru-cache overhead'],
      rows: VALUE_SIZES.map((size) => {
        const larder = at('larder', size);
        const lru = at('lru-cache', size);
        return [`${whole(size)} B`, whole(entriesFor(size, settings.quick)), `${whole(larder)} B`, `${whole(lru)} B`, times(larder / lru), `${whole(larder - size)} B`, `${whole(lru - size)} B`];
      }),
    },
    { valueSizes: VALUE_SIZES, entries: VALUE_SIZES.map((size) => entriesFor(size, settings.quick)), bytesPerEntry: Object.fromEntries(samples) },
  );
}

/** 100 B, 4 KiB, 1.5 MiB. */
function byteSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / 1024 / 1024).toPrecision(3))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toPrecision(3))} KiB`;
  return `${bytes} B`;
}
