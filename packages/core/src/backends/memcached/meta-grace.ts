import type { LockingRead, ServerGrace, StoredItem } from '../../types/backend.js';
import { Op, Status, responseCas, type RequestSpec, type Response } from './protocol.js';

/** What MetaGrace calls on the backend: one request routed as a read or a write, and a chunked value's assembly. */
export interface MetaGracePort {
  /** Sends `spec` to the node of `spec.key` (a write: with its TTL cap, `maxTtl`); NOT_FOUND and EXISTS are answers, other errors throw. */
  call(spec: (maxTtl: number | undefined) => RequestSpec, write: boolean): Promise<Response>;
  /** A chunk manifest read whole, or the item as it is. */
  whole(key: string, item: StoredItem): Promise<StoredItem | undefined>;
  /** A TTL in seconds as memcached's expiry word (long TTLs as absolute time), capped at `maxTtl`. */
  expiry(ttl: number, maxTtl: number | undefined): number;
}

/**
 * The lock and grace done by memcached itself, over the meta protocol (doc/protocol.txt, mg/md):
 * `mg <key> v f c N<lock> R<grace>` reads the value and its recompute token in one round trip. On
 * a miss, N makes an empty placeholder (flags 0) living `lock` seconds and hands this caller the
 * token (W); callers after it see the placeholder with Z and wait. On a value whose remaining TTL
 * (the server's clock) is under `grace`, R hands one caller the refresh (W), the others Z. `md I T`
 * marks a value stale (X) and hands the next reader the refresh. A write replaces the item and
 * its marks; a lead that stores nothing deletes its placeholder by CAS.
 */
export class MetaGrace implements ServerGrace {
  readonly #port: MetaGracePort;

  constructor(port: MetaGracePort) {
    this.#port = port;
  }

  async readOrLock(key: string, lockSeconds: number, graceSeconds: number): Promise<LockingRead> {
    const flags = `${lockSeconds > 0 ? `N${Math.ceil(lockSeconds)}` : ''}${graceSeconds > 0 ? ` R${Math.ceil(graceSeconds)}` : ''}`.trim();
    const response = await this.#port.call(() => ({ opcode: Op.GET, key, meta: flags }), lockSeconds > 0);
    if (response.header.status === Status.NOT_FOUND) return MISSED;
    const marks = response.marks;
    const token = marks?.win ? 'won' : marks?.taken ? 'taken' : 'none';
    const cas = responseCas(response);
    const raw = { value: response.val, flags: response.flags };
    if (isPlaceholder(raw, marks)) return { item: undefined, token, cas };
    // Stale by the server: invalidated (X), or a token handed out for it under R (its remaining TTL is under grace).
    const stale = marks?.stale === true || (graceSeconds > 0 && token !== 'none');
    const whole = await this.#port.whole(key, raw);
    if (whole === undefined) return { item: undefined, token, cas };
    return { item: graceSeconds > 0 || stale ? { value: whole.value, flags: whole.flags, stale } : whole, token, cas };
  }

  async release(key: string, cas: bigint, placeholder: boolean): Promise<void> {
    await this.#port.call(() => ({ opcode: Op.DELETE, key, meta: placeholder ? `C${cas}` : `I C${cas}` }), true);
  }

  async invalidate(key: string, ttl: number): Promise<boolean> {
    const response = await this.#port.call((maxTtl) => ({ opcode: Op.DELETE, key, meta: `I T${this.#port.expiry(ttl, maxTtl)}` }), true);
    return response.header.status === Status.OK;
  }
}

const MISSED: LockingRead = Object.freeze({ item: undefined, token: 'none' as const, cas: 0n });

/** A vivified placeholder: empty, flags 0, its token out. A plain read takes it for a miss. */
export function isPlaceholder(item: StoredItem, marks: Response['marks']): boolean {
  return marks !== undefined && (marks.win || marks.taken) && item.value.length === 0 && item.flags === 0;
}
