import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { LarderError } from '../../errors.js';
import { HASHED_MARK } from '../../keys.js';
import type { StoredItem } from '../../types/backend.js';

/**
 * Flag bit the memcached backend sets on the manifest of a value split into chunks. It sits
 * above the bits Python clients and Larder's serializer use; the other bits are the value's.
 */
export const CHUNKED_FLAG = 1 << 15;

const MANIFEST_PREFIX = 'larder-chunks:';
// A manifest Larder writes is under 130 bytes; anything much longer is someone else's value.
const MAX_MANIFEST_BYTES = 512;
const VERSION = /^[0-9a-f]{16}$/;
const MAX_CRC = 0xffffffff;

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

/** The bounds a manifest read from memcached is checked against before anything is fetched. */
export interface ManifestLimits {
  /** The chunk size values are split with: the count must be exactly `ceil(length / chunkSize)`. */
  readonly chunkSize: number;
  /** The largest value the backend accepts; a longer manifest is refused. */
  readonly maxValueSize: number;
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

/**
 * Reads a manifest and, given `limits`, checks it against them, so a foreign value carrying
 * the chunk flag can never make a reader fetch or allocate more than one legal value. Throws
 * an E_DESERIALIZE LarderError saying what is wrong when it is not a manifest Larder would have written.
 */
export function readManifest(item: StoredItem, limits?: ManifestLimits): Manifest {
  if (item.value.length > MAX_MANIFEST_BYTES) throw corrupt(`chunk manifest of ${item.value.length} bytes is too long`);
  const text = item.value.toString('utf8');
  if (!text.startsWith(MANIFEST_PREFIX)) throw corrupt('value with the chunk flag is not a chunk manifest');
  let parsed: Partial<Record<keyof Manifest, unknown>>;
  try {
    parsed = JSON.parse(text.slice(MANIFEST_PREFIX.length)) as typeof parsed;
  } catch (cause) {
    throw corrupt('chunk manifest is not JSON', cause);
  }
  const { version, count, length, crc } = parsed ?? {};
  if (typeof version !== 'string' || !VERSION.test(version)) throw corrupt('chunk manifest version is not 16 hex digits');
  if (!isCount(length) || length < 1) throw corrupt(`chunk manifest length ${String(length)} is not a positive integer`);
  if (!isCount(crc) || crc > MAX_CRC) throw corrupt(`chunk manifest crc ${String(crc)} is not a 32-bit value`);
  if (!isCount(count) || count < 1) throw corrupt(`chunk manifest count ${String(count)} is not a positive integer`);
  if (limits) {
    if (length > limits.maxValueSize) throw corrupt(`chunk manifest length ${length} is over maxValueSize ${limits.maxValueSize}`);
    const expected = Math.ceil(length / limits.chunkSize);
    if (count !== expected) throw corrupt(`chunk manifest count ${count} does not match length ${length} in chunks of ${limits.chunkSize} (${expected})`);
  }
  return { version, count, length, crc };
}

/** What a manifest or chunks that break the rules throw; the backend wraps it with the key. */
function corrupt(problem: string, cause?: unknown): LarderError {
  return new LarderError('E_DESERIALIZE', problem, cause === undefined ? undefined : { cause });
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The keys of a manifest's chunks: fixed length, whatever the length of the main key. They
 * contain the hash mark and end in `:<index>`, so no key a Cache maps (a literal one never
 * contains the mark, a hashed one ends in 64 hex digits) can equal a chunk key.
 */
export function chunkKeys(key: string, manifest: Manifest): string[] {
  const base = `larder-chunk${HASHED_MARK}${createHash('sha256').update(key).digest('hex')}:${manifest.version}:`;
  return Array.from({ length: manifest.count }, (_, i) => `${base}${i}`);
}

/**
 * Joins chunks back into the value. Undefined when a chunk is missing (evicted: a plain
 * miss); throws when the chunks are present but do not add up to the manifest's length or
 * checksum (foreign or corrupt chunks), so the caller counts it. The lengths are summed
 * before the value is allocated.
 */
export function joinChunks(manifestItem: StoredItem, manifest: Manifest, chunks: ReadonlyArray<StoredItem | undefined>): StoredItem | undefined {
  if (chunks.length !== manifest.count) return undefined;
  let total = 0;
  for (const chunk of chunks) {
    if (chunk === undefined) return undefined;
    total += chunk.value.length;
  }
  if (total !== manifest.length) throw corrupt(`chunks hold ${total} bytes, the manifest says ${manifest.length}`);
  const value = Buffer.concat(
    chunks.map((c) => c!.value),
    total,
  );
  if (crc32(value) !== manifest.crc) throw corrupt('chunks do not match the manifest checksum');
  return { value, flags: manifestItem.flags & ~CHUNKED_FLAG };
}
