import { Cache } from '@larder/core';
import { MemcachedStore, type SessionData } from '@larder/session-store';

/** What sealing adds per session, in microseconds, beside the same store unsealed. */
export interface SealingCost {
  /** Size of the session's JSON text. */
  readonly bytes: number;
  /** A write by the unsealed store (the baseline). */
  readonly plainWriteMicros: number;
  /** A read of a value written by another process, by the unsealed store (the baseline). */
  readonly plainReadMicros: number;
  /** Extra time of a write (encrypting). */
  readonly sealMicros: number;
  /** Extra time of a read of a value written by another process (decrypting). */
  readonly openMicros: number;
  /** Extra time of a read of bytes this process opened before (a session touched, not rewritten). */
  readonly reopenMicros: number;
}

// Few enough for every opened value to stay in the store's memo of opened values (4 MiB).
const SESSIONS = 2_000;
const ROUNDS = 9;
const quiet = { warn: () => {} };

function session(): SessionData {
  return {
    cookie: { expires: new Date(Date.now() + 86_400_000), originalMaxAge: 86_400_000, sameSite: null, secure: false, path: '/', httpOnly: true, domain: null },
    visits: 3,
    user: 'ada',
  } as SessionData;
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return ((performance.now() - start) * 1000) / SESSIONS;
}

/** One round: write, read from a second store (another process), read again; plain then sealed, on the in-memory cache. */
async function round(secret: string | undefined): Promise<[number, number, number]> {
  const cache = new Cache({ logger: quiet, defaultTtl: 0 });
  const options = { logger: quiet, ...(secret ? { secret } : {}) };
  const writer = new MemcachedStore({ cache }, options);
  const reader = new MemcachedStore({ cache }, options);
  const ids = Array.from({ length: SESSIONS }, (_, i) => `session-${i}-${'x'.repeat(24)}`);
  const data = session();
  const write = await time(async () => {
    for (const id of ids) await writer.setSession(id, data);
  });
  const open = await time(async () => {
    for (const id of ids) await reader.getSession(id);
  });
  const reopen = await time(async () => {
    for (const id of ids) await reader.getSession(id);
  });
  await cache.close();
  return [write, open, reopen];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Sealing's own cost: the same store operations with and without a secret, interleaved, medians of 9 rounds. */
export async function sealingCost(): Promise<SealingCost> {
  const secret = 'a benchmark sealing secret of at least 32 characters';
  const plain: Array<[number, number, number]> = [];
  const sealed: Array<[number, number, number]> = [];
  await round(undefined);
  await round(secret);
  for (let i = 0; i < ROUNDS; i++) {
    plain.push(await round(undefined));
    sealed.push(await round(secret));
  }
  const base = (at: 0 | 1 | 2) => median(plain.map((r) => r[at]));
  const extra = (at: 0 | 1 | 2) => median(sealed.map((r) => r[at])) - base(at);
  return {
    bytes: JSON.stringify(session()).length,
    plainWriteMicros: base(0),
    plainReadMicros: base(1),
    sealMicros: extra(0),
    openMicros: extra(1),
    reopenMicros: extra(2),
  };
}
