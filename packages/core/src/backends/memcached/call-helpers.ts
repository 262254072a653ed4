import { DeserializationError, ServerError, ValueTooLargeError } from '../../errors.js';
import { toMemcachedExpiry } from '../../ttl.js';
import type { StoredItem } from '../../types/backend.js';
import type { ProtocolNode } from './protocol-node.js';
import { Status, type Response } from './protocol.js';

// The small rules MemcachedBackend and its meta helpers share.

const MAX_EXPIRY = 0xfffffffe;

/** Throws a ServerError naming `node` for any status but OK. */
export function check(node: ProtocolNode, response: Response): void {
  const status = response.header.status;
  if (status !== Status.OK) throw new ServerError(node.address, status, response.val.toString('utf8') || 'error');
}

/** Runs `read`; anything it throws becomes a DeserializationError of `key`. */
export function decoding<T>(key: string, item: StoredItem, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    throw new DeserializationError(key, item.flags, { cause });
  }
}

/** A TTL in seconds as memcached's expiry word (over 30 days: absolute time). */
export function expiry(ttl: number): number {
  return Math.min(toMemcachedExpiry(ttl), MAX_EXPIRY);
}

/** `ttl` seconds (0 = never expire), shortened to `maxTtl` when one applies. */
export function capped(ttl: number, maxTtl: number | undefined): number {
  return maxTtl === undefined || (ttl > 0 && ttl <= maxTtl) ? ttl : maxTtl;
}

/** `keys` without repeats, in order. */
export function unique(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}

/** The status of a store of `item` at `key`; statuses other than "done" or "refused" (not found, exists, not stored) throw. */
export function storeStatus(node: ProtocolNode, key: string, item: StoredItem, response: Response, chunkSize: number): number {
  const status = response.header.status;
  if (status === Status.TOO_LARGE) throw new ValueTooLargeError(key, item.value.length, chunkSize);
  if (status === Status.NOT_FOUND || status === Status.EXISTS || status === Status.NOT_STORED) return status;
  check(node, response);
  return status;
}
