import { createHash } from 'node:crypto';
import type { ServerAddress } from './server-list.js';

/** A member of the ring: its address (for the point labels) and what it maps to. */
export interface RingMember<T> {
  readonly address: ServerAddress;
  readonly node: T;
}

const POINTS_PER_SERVER = 100;
const WEIGHTED_POINTS_PER_SERVER = 160;
const DEFAULT_PORT = 11211;
const f32 = Math.fround;

/**
 * Jenkins one-at-a-time hash over the bytes of `text`, libmemcached's default hash
 * (bytes are taken as signed chars, as libmemcached's C code does).
 */
export function oneAtATime(text: string): number {
  let hash = 0;
  // An ASCII key (every key Larder builds) is its own bytes: hashed from its characters, with no
  // Buffer made per key; any other goes through its UTF-8 bytes.
  for (let i = 0; i < text.length; i++) {
    const byte = text.charCodeAt(i);
    if (byte >= 0x80) return oneAtATimeBytes(Buffer.from(text, 'utf8'));
    hash = (hash + byte) >>> 0;
    hash = (hash + (hash << 10)) >>> 0;
    hash = (hash ^ (hash >>> 6)) >>> 0;
  }
  return finish(hash);
}

function oneAtATimeBytes(bytes: Buffer): number {
  let hash = 0;
  for (const byte of bytes) {
    hash = (hash + (byte >= 0x80 ? byte - 0x100 : byte)) >>> 0;
    hash = (hash + (hash << 10)) >>> 0;
    hash = (hash ^ (hash >>> 6)) >>> 0;
  }
  return finish(hash);
}

function finish(hash: number): number {
  hash = (hash + (hash << 3)) >>> 0;
  hash = (hash ^ (hash >>> 11)) >>> 0;
  hash = (hash + (hash << 15)) >>> 0;
  return hash;
}

/**
 * The consistent-hash ring libmemcached builds for KETAMA distribution (pylibmc's
 * `ketama: True`). Point labels are `host:port-i` (`host-i` on port 11211), i from 0.
 * Unweighted: 100 points per server, each the one-at-a-time hash of its label. When any
 * weight is above 1, libmemcached switches to weighted ketama: 160 × share points per server
 * (computed in float32 as its C code does), four per MD5 digest of a label. Keys hash with
 * one-at-a-time and go to the first point at or after their hash, wrapping around.
 */
export class HashRing<T> {
  readonly #points: Uint32Array;
  readonly #owners: T[];
  readonly #single: T | undefined;

  constructor(members: ReadonlyArray<RingMember<T>>) {
    this.#single = members.length === 1 ? members[0]!.node : undefined;
    const weighted = members.some((m) => m.address.weight > 1);
    const totalWeight = members.reduce((sum, m) => sum + m.address.weight, 0);
    const points: Array<{ hash: number; node: T }> = [];
    for (const { address, node } of members) {
      const label = address.port === DEFAULT_PORT ? address.host : `${address.host}:${address.port}`;
      if (!weighted) {
        for (let i = 0; i < POINTS_PER_SERVER; i++) points.push({ hash: oneAtATime(`${label}-${i}`), node });
        continue;
      }
      const digests = weightedDigestCount(address.weight, totalWeight, members.length);
      for (let i = 0; i < digests; i++) {
        const digest = createHash('md5').update(`${label}-${i}`).digest();
        for (let k = 0; k < 4; k++) points.push({ hash: digest.readUInt32LE(k * 4), node });
      }
    }
    // Stable sort: equal hashes keep server order, as libmemcached's tie-break does.
    points.sort((a, b) => a.hash - b.hash);
    this.#points = Uint32Array.from(points, (p) => p.hash);
    this.#owners = points.map((p) => p.node);
  }

  /** The member that owns `key`. */
  nodeFor(key: string): T {
    if (this.#single !== undefined) return this.#single;
    return this.#owners[this.#indexFor(oneAtATime(key))]!;
  }

  /** Groups keys by the member that owns them, keeping their order within a member. */
  groupByNode(keys: readonly string[]): Map<T, string[]> {
    const groups = new Map<T, string[]>();
    for (const key of keys) {
      const node = this.nodeFor(key);
      const list = groups.get(node);
      if (list) list.push(key);
      else groups.set(node, [key]);
    }
    return groups;
  }

  #indexFor(hash: number): number {
    const points = this.#points;
    let low = 0;
    let high = points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (points[mid]! < hash) low = mid + 1;
      else high = mid;
    }
    return low === points.length ? 0 : low;
  }
}

// libmemcached: floor(float(weight/total) * 160 / 4 * servers + 1e-10), all in float32.
function weightedDigestCount(weight: number, totalWeight: number, servers: number): number {
  const share = f32(f32(weight) / f32(totalWeight));
  const perDigest = f32(f32(f32(share * WEIGHTED_POINTS_PER_SERVER) / 4) * servers);
  return Math.floor(f32(perDigest + f32(1e-10)));
}
