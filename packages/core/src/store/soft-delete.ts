import { GraceEnvelope, isGraceEnvelope, openGraceEnvelope } from '../envelopes/grace-envelope.js';
import { isStamped, openStampedEnvelope, StampedEnvelope } from '../envelopes/stamp-envelope.js';
import { InvalidArgumentError } from '../errors.js';
import { OptionNames } from '../option-names.js';
import { parseTtl, type Ttl } from '../ttl.js';
import type { Backend, StoredItem } from '../types/backend.js';

const DELETE_OPTIONS = new OptionNames('delete', ['soft', 'grace']);
/** How long a softly deleted value stays servable when neither the call nor the Cache says (seconds). */
export const DEFAULT_SOFT_GRACE = 60;
const CAS_ATTEMPTS = 3;

/** Options of `Cache.delete`. */
export interface DeleteOptions {
  /**
   * Mark the value stale instead of removing it: plain reads miss it, getOrSet serves it (as a
   * value within grace) while one caller refreshes it. Default false.
   */
  soft?: boolean;
  /** How long a softly deleted value stays servable (default: the Cache's grace, else 60 s). */
  grace?: Ttl;
}

/** A delete's options as `{ soft, graceSeconds }`; unknown names E_INVALID_OPTION, bad values E_INVALID_ARGUMENT. */
export function toDeleteOptions(options: DeleteOptions | undefined, defaultGrace: number): { soft: boolean; graceSeconds: number } {
  if (options === undefined) return { soft: false, graceSeconds: 0 };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new InvalidArgumentError('delete takes { soft, grace }');
  DELETE_OPTIONS.check(options);
  if (options.soft !== undefined && typeof options.soft !== 'boolean') throw new InvalidArgumentError(`delete option soft must be a boolean, got ${typeof options.soft}`);
  const graceSeconds = options.grace === undefined ? defaultGrace || DEFAULT_SOFT_GRACE : parseTtl(options.grace, 'grace');
  if (graceSeconds <= 0) throw new InvalidArgumentError('delete option grace must be over 0 s (0 would keep the stale value forever)');
  return { soft: options.soft ?? false, graceSeconds };
}

/**
 * Marks the value at backend key `full` stale for `graceSeconds`; false when nothing is there.
 * On a backend with ServerGrace (memcached meta): `md <key> I T<grace>`, one round trip; the
 * server marks it stale (X) and hands its refresh to one reader. Elsewhere (binary, memory): what
 * the grace envelope allows: the item is read with `gets` and written back with `cas` as an
 * envelope whose logical expiry is now, kept `graceSeconds` (a plain value is wrapped in one, so
 * Python clients read flags 1024 bytes until it is refreshed); stamps are kept. A write that
 * lands in between wins (the cas fails, retried on what it wrote).
 */
export async function softDelete(backend: Backend, full: string, graceSeconds: number): Promise<boolean> {
  if (backend.serverGrace !== undefined) return backend.serverGrace.invalidate(full, graceSeconds);
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const current = await backend.gets(full);
    if (current === undefined) return false;
    const written = await backend.cas(full, expiredNow(full, current), current.cas, graceSeconds);
    if (written !== false) return written === true;
  }
  return true; // written over by others each time: what is there is newer than what was deleted
}

/** `item` as a grace envelope whose ttl ended now, inside the stamped envelope it had. */
function expiredNow(key: string, item: StoredItem): StoredItem {
  const stamped = isStamped(item) ? openStampedEnvelope(key, item) : undefined;
  const plain = stamped?.inner ?? { value: item.value, flags: item.flags };
  const inner = isGraceEnvelope(plain) ? openGraceEnvelope(key, plain).inner : plain;
  const envelope = new GraceEnvelope(inner, Math.min(Date.now(), isGraceEnvelope(plain) ? openGraceEnvelope(key, plain).expiresAt : Infinity));
  return stamped === undefined ? envelope : new StampedEnvelope(envelope, stamped.stamps);
}
