/** One side of a comparison: a name and an async operation to repeat. */
export interface Contender {
  readonly name: string;
  /** Runs one operation; `i` is the iteration number. */
  op(i: number): Promise<unknown>;
}

/** Operations per second of each contender, as the median of interleaved rounds. */
export interface Throughput {
  readonly opsPerSec: number;
}

/**
 * Runs `ops` operations with `concurrency` workers, `rounds` times per contender, alternating
 * contenders so that drift of the machine affects both alike; returns the median rate.
 */
export async function compare(
  contenders: readonly Contender[],
  { ops, concurrency = 1, rounds = 5, warmup = Math.min(ops, 2000) }: { ops: number; concurrency?: number; rounds?: number; warmup?: number },
): Promise<Throughput[]> {
  const samples: number[][] = contenders.map(() => []);
  for (const contender of contenders) await run(contender, warmup, concurrency);
  for (let r = 0; r < rounds; r++) {
    for (const [i, contender] of contenders.entries()) {
      const start = performance.now();
      await run(contender, ops, concurrency);
      samples[i]!.push(ops / ((performance.now() - start) / 1000));
    }
  }
  return samples.map((rates) => ({ opsPerSec: median(rates) }));
}

async function run(contender: Contender, ops: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < ops) await contender.op(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
