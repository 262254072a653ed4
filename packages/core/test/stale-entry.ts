import { Flags, type Cache } from '../src/index.js';

/**
 * Writes `text` at `key` as a stale grace entry, in the documented envelope (version 1) with a
 * logical expiry one second ago, kept `keepSeconds` by the backend: what a value written with
 * `{ ttl, grace }` looks like once its ttl is over, without waiting for it.
 */
export async function writeStale(cache: Cache, key: string, text: string, keepSeconds: number, expiredMsAgo = 1000): Promise<void> {
  const header = Buffer.alloc(13);
  header.writeUInt8(1, 0);
  header.writeBigUInt64BE(BigInt(Date.now() - expiredMsAgo), 1);
  header.writeUInt32BE(Flags.TEXT, 9);
  const stored = await cache.backend.set(cache.backendKey(key), { value: Buffer.concat([header, Buffer.from(text)]), flags: Flags.GRACE }, keepSeconds);
  if (!stored) throw new Error('the stale entry was not stored');
}
