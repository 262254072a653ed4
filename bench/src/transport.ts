import memjs from 'memjs';
import { Cache, MemcachedBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import { compare } from './measure.js';
import { rate, type ResultRow } from './report.js';

const KEYS = 1000;
const VALUE = 'a typical cached string value of some length';

/**
 * The transports side by side on one machine, interleaved: meta against binary (and raw memjs,
 * binary only), and TLS against plain (memjs has no TLS, so plain Larder is TLS's baseline).
 */
export async function benchTransport(): Promise<ResultRow[]> {
  const [plain, tls] = await Promise.all([MemcachedServer.start(), MemcachedServer.start({ tls: true })]);
  const binary = new Cache({ backend: new MemcachedBackend({ servers: plain.address }) });
  const meta = new Cache({ backend: new MemcachedBackend({ servers: plain.address, protocol: 'meta' }) });
  const tlsBinary = new Cache({ backend: new MemcachedBackend({ servers: tls.address, tls: { ca: tls.certificates!.ca } }) });
  const tlsMeta = new Cache({ backend: new MemcachedBackend({ servers: tls.address, tls: { ca: tls.certificates!.ca }, protocol: 'meta' }) });
  const raw = memjs.Client.create(plain.address, { logger: { log: () => {} } });
  const keys = Array.from({ length: KEYS }, (_, i) => `bench:${i}`);
  const rows: ResultRow[] = [];
  try {
    for (const key of keys) {
      await binary.set(key, VALUE);
      await tlsBinary.set(key, VALUE);
    }
    for (const concurrency of [1, 50]) {
      const ops = concurrency === 1 ? 5_000 : 20_000;
      const options = { ops, concurrency, rounds: 3 };
      const gets = await compare(
        [
          { name: 'meta get', op: (i) => meta.get(keys[i % KEYS]!) },
          { name: 'binary get', op: (i) => binary.get(keys[i % KEYS]!) },
          { name: 'memjs get', op: (i) => raw.get(keys[i % KEYS]!) },
          { name: 'tls binary get', op: (i) => tlsBinary.get(keys[i % KEYS]!) },
          { name: 'tls meta get', op: (i) => tlsMeta.get(keys[i % KEYS]!) },
        ],
        options,
      );
      const sets = await compare(
        [
          { name: 'meta set', op: (i) => meta.set(keys[i % KEYS]!, VALUE) },
          { name: 'binary set', op: (i) => binary.set(keys[i % KEYS]!, VALUE) },
          { name: 'memjs set', op: (i) => raw.set(keys[i % KEYS]!, VALUE, { expires: 300 }) },
          { name: 'tls binary set', op: (i) => tlsBinary.set(keys[i % KEYS]!, VALUE) },
          { name: 'tls meta set', op: (i) => tlsMeta.set(keys[i % KEYS]!, VALUE) },
        ],
        options,
      );
      for (const [op, [m, b, r, tb, tm]] of [['get', gets], ['set', sets]] as const) {
        rows.push(row(`Cache(memcached) ${op}, meta vs binary, concurrency ${concurrency}`, m!.opsPerSec, b!.opsPerSec, 'binary'));
        rows.push(row(`Cache(memcached) ${op}, meta vs raw memjs (binary), concurrency ${concurrency}`, m!.opsPerSec, r!.opsPerSec, 'raw memjs'));
        rows.push(row(`Cache(memcached) ${op}, binary over TLS vs plain binary, concurrency ${concurrency}`, tb!.opsPerSec, b!.opsPerSec, 'plain binary'));
        rows.push(row(`Cache(memcached) ${op}, meta over TLS vs plain meta, concurrency ${concurrency}`, tm!.opsPerSec, m!.opsPerSec, 'plain meta'));
      }
    }
    return rows;
  } finally {
    raw.close();
    await Promise.all([binary.close(), meta.close(), tlsBinary.close(), tlsMeta.close()]);
    await Promise.all([plain.stop(), tls.stop()]);
  }
}

function row(benchmark: string, larder: number, baseline: number, name: string): ResultRow {
  return { benchmark, larder: rate(larder), baseline: `${rate(baseline)} (${name})`, ratio: larder / baseline, target: 'printed, no target', met: true };
}
