import { toSafeKey } from '../keys.js';
import { TAG_SOFT_PREFIX } from '../reserved-keys.js';
import { TAG_COUNTER_MARK, type Stamp, type Stamps } from '../envelopes/stamp-envelope.js';
import { Flags } from '../values/flags.js';
import type { Backend, StoredItem } from '../types/backend.js';

/**
 * What a soft `invalidateTags` leaves beside a tag's counter: the counter value its bump gave
 * (`counter`) and the oldest version it softened (`oldest`). A value stamped with a version in
 * [oldest, counter) is stale, not gone, while the counter still holds exactly `counter` (only that
 * bump wrote it: a later bump of any kind changes the counter) and the marker lives (its TTL is the
 * grace). Stored at `larder-tag-soft:` + the counter's backend key, as `<oldest> <counter>`.
 */
export interface SoftMark {
  readonly oldest: bigint;
  readonly counter: bigint;
}

const MARK_TEXT = /^(\d{1,20}) (\d{1,20})$/;
const CAS_ATTEMPTS = 3;

/** The backend key of the soft marker of the counter at backend key `counterKey`. */
export function softMarkKey(counterKey: string): string {
  return toSafeKey(TAG_SOFT_PREFIX + counterKey);
}

/** A stored marker parsed; undefined when absent or not a marker (then nothing is stale: a miss). */
export function parseSoftMark(item: StoredItem | undefined): SoftMark | undefined {
  if (item === undefined) return undefined;
  const match = MARK_TEXT.exec(item.value.toString('latin1'));
  if (match === null) return undefined;
  const mark = { oldest: BigInt(match[1]!), counter: BigInt(match[2]!) };
  return mark.oldest < mark.counter ? mark : undefined;
}

/**
 * The stamps of a value that are behind their counters and may have been softened (a tag's, with
 * the counter odd: see `VersionCounters.invalidate`), each with its counter's version; undefined
 * when some stamp rules the value out at once (its counter unknown, even, or not a tag's): a miss.
 * An empty list: every stamp holds.
 */
export function softCandidates(stamps: Stamps, versionOf: (key: string) => string | undefined): Array<{ stamp: Stamp; version: bigint }> | undefined {
  const candidates: Array<{ stamp: Stamp; version: bigint }> = [];
  for (const stamp of stamps) {
    const version = versionOf(stamp.key);
    if (version === undefined) return undefined;
    if (version === stamp.version) continue;
    if (!stamp.key.includes(TAG_COUNTER_MARK)) return undefined;
    const current = BigInt(version);
    if (current % 2n === 0n) return undefined;
    candidates.push({ stamp, version: current });
  }
  return candidates;
}

/** True when every candidate's marker says its stamp was softened by the bump that made its counter what it is now. */
export function softened(candidates: ReadonlyArray<{ stamp: Stamp; version: bigint }>, markOf: (counterKey: string) => SoftMark | undefined): boolean {
  for (const { stamp, version } of candidates) {
    const mark = markOf(stamp.key);
    if (mark === undefined || mark.counter !== version) return false;
    const stamped = BigInt(stamp.version);
    if (stamped < mark.oldest || stamped >= mark.counter) return false;
  }
  return true;
}

/**
 * Writes the marker of a soft bump of the counter at `counterKey` that took it from `before` to
 * `after`, kept `graceSeconds`. A marker of the bump just before (its counter is `before`) keeps
 * its oldest version, so consecutive soft bumps stay stale together; a marker of a later bump is
 * left as it is. `gets` + `cas`: a marker written in between is read again.
 */
export async function writeSoftMark(backend: Backend, counterKey: string, before: bigint, after: bigint, graceSeconds: number): Promise<void> {
  const key = softMarkKey(counterKey);
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const current = await backend.gets(key);
    const mark = parseSoftMark(current);
    if (mark !== undefined && mark.counter > after) return;
    const oldest = mark !== undefined && mark.counter === before ? mark.oldest : before;
    const item: StoredItem = { value: Buffer.from(`${oldest} ${after}`, 'latin1'), flags: Flags.BYTES };
    const stored = current === undefined ? await backend.add(key, item, graceSeconds) : await backend.cas(key, item, current.cas, graceSeconds);
    if (stored === true) return;
  }
}
