import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { StoredItem } from '../../types/backend.js';

/**
 * Flag bit the memcached backend sets on the manifest of a value split into chunks. It sits
 * above the bits Python clients and Larder's serializer use; the other bits are the value's.
 */
export const CHUNKED_FLAG = 1 << 15;

const MANIFEST_PREFIX = 'larder-chunks:';

/** What the main key of a chunked value holds. */
export interface Manifest {
  /** Random id of this version of the value; chunk keys carry it, so stale chunks never match. */
  readonly version: string;
  /** Number of chunks. */
  readonly count: number;
  /** Total length of the value. */
  readonly length: number;
  /** CRC-32 of the whole value. */
  readonly crc: number;
}

/** A value split for storage: the manifest item for the main key and the chunk items. */
export interface SplitValue {
  readonly manifest: StoredItem;
  readonly chunks: Array<readonly [string, StoredItem]>;
}

/** Splits `item` into chunks of at most `chunkSize` bytes under fresh versioned keys. */
export function splitValue(key: string, item: StoredItem, chunkSize: number): SplitValue {
  const value = item.value;
  const manifest: Manifest = {
    version: randomBytes(8).toString('hex'),
    count: Math.ceil(value.length / chunkSize),
    length: value.length,
    crc: crc32(value),
  };
  const chunks = chunkKeys(key, manifest).map(
    (chunkKey, i) => [chunkKey, { value: value.subarray(i * chunkSize, (i + 1) * chunkSize), flags: 0 }] as const,
  );
  const body = Buffer.from(MANIFEST_PREFIX + JSON.stringify(manifest), 'utf8');
  return { manifest: { value: body, flags: item.flags | CHUNKED_FLAG }, chunks };
}

/** True when a stored item is a chunk manifest. */
export function isManifest(item: StoredItem): boolean {
  return (item.flags & CHUNKED_FLAG) !== 0;
}

/** Reads a manifest; undefined when it is not one Larder wrote. */
export function readManifest(item: StoredItem): Manifest | undefined {
  const text = item.value.toString('utf8');
  if (!text.startsWith(MANIFEST_PREFIX)) return undefined;
  try {
    const parsed = JSON.parse(text.slice(MANIFEST_PREFIX.length)) as Partial<Manifest>;
    const { version, count, length, crc } = parsed;
    if (typeof version !== 'string' || !Number.isInteger(count) || !Number.isInteger(length) || !Number.isInteger(crc)) return undefined;
    return { version, count: count!, length: length!, crc: crc! };
  } catch {
    return undefined;
  }
}

/** The keys of a manifest's chunks: fixed length, whatever the length of the main key. */
export function chunkKeys(key: string, manifest: Manifest): string[] {
  const base = `larder-chunk:${createHash('sha1').update(key).digest('hex')}:${manifest.version}:`;
  return Array.from({ length: manifest.count }, (_, i) => `${base}${i}`);
}

/**
 * Joins chunks back into the value; undefined when any chunk is missing, or the result
 * differs in length or checksum (evicted or foreign chunks): a miss, never a corrupt value.
 */
export function joinChunks(manifestItem: StoredItem, manifest: Manifest, chunks: ReadonlyArray<StoredItem | undefined>): StoredItem | undefined {
  if (chunks.length !== manifest.count || chunks.some((c) => c === undefined)) return undefined;
  const value = Buffer.concat(chunks.map((c) => c!.value));
  if (value.length !== manifest.length || crc32(value) !== manifest.crc) return undefined;
  return { value, flags: manifestItem.flags & ~CHUNKED_FLAG };
}
