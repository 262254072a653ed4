import type { StoredItem } from '../types/backend.js';

// A Buffer this much larger underneath than itself is a slice of something bigger (a socket read).
const SLACK_BYTES = 1024;

/**
 * `item`, or a copy of it whose bytes do not keep a larger buffer alive. memcached clients hand out
 * values as slices of the buffer a socket read filled, so holding a 7-byte value could hold 60 KB:
 * whatever keeps items for long (the near cache, decode memos) keeps them through this, and its
 * byte bounds then count what it really holds.
 */
export function ownedItem(item: StoredItem): StoredItem {
  // Items Larder made itself (TextItem, envelopes) are classes whose bytes are their own.
  if (Object.getPrototypeOf(item) !== Object.prototype) return item;
  const bytes = item.value;
  const under = bytes.buffer.byteLength;
  // Node's shared pool for small Buffers is shared by many of them: a copy would land in it again.
  if (under <= bytes.length * 2 + SLACK_BYTES || under === Buffer.poolSize) return item;
  return { value: Buffer.from(bytes), flags: item.flags };
}
