/**
 * How a near-cache entry protects its value from the callers it is handed to: what a decode made
 * is shared by every reader of the entry, so a caller that mutated it would change what the next
 * reader gets. Strings, numbers and other primitives need nothing; plain objects and arrays are
 * deep-frozen once, when the entry is filled (a hit costs nothing; a write to them throws in
 * strict code); a Buffer cannot be frozen, so the entry keeps its own copy and every hit gets a
 * copy of that. Anything else (a Map, Set, Date, typed array or class instance, anywhere inside)
 * keeps state a freeze cannot reach: such values are not kept near at all.
 */
export interface Protected {
  /** The value as the entry holds it (frozen, or a private copy). */
  readonly held: unknown;
  /** True when every reader must get a copy of `held` (a Buffer). */
  readonly copyOnRead: boolean;
  /** Estimated bytes of the value in memory. */
  readonly bytes: number;
}

// Nesting deeper than this is not kept near (the walks are recursive).
const MAX_DEPTH = 64;
const SLOT_BYTES = 16;

/** The estimated bytes of `value` in memory, or -1 when it cannot be protected (see above); nothing is changed. */
export function protectableSize(value: unknown): number {
  return Buffer.isBuffer(value) ? value.length : measure(value, 0);
}

/** `value` made safe to share, once `protectableSize` said it can be (`bytes`): frozen, or a Buffer copied. */
export function protect(value: unknown, bytes: number): Protected {
  if (Buffer.isBuffer(value)) return { held: Buffer.from(value), copyOnRead: true, bytes };
  freeze(value);
  return { held: value, copyOnRead: false, bytes };
}

/** What a reader of a protected value gets. */
export function handOut(entry: Protected): unknown {
  return entry.copyOnRead ? Buffer.from(entry.held as Buffer) : entry.held;
}

// The estimated size of a value made of primitives, plain objects and arrays; -1 for anything else.
function measure(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      return value.length * 2;
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return 8;
    case 'object':
      break;
    default:
      return -1;
  }
  if (value === null) return 8;
  if (depth > MAX_DEPTH) return -1;
  let bytes = SLOT_BYTES;
  if (Array.isArray(value)) {
    for (const element of value) {
      const size = measure(element, depth + 1);
      if (size < 0) return -1;
      bytes += size + SLOT_BYTES;
    }
    return bytes;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return -1;
  for (const name of Object.keys(value)) {
    const size = measure((value as Record<string, unknown>)[name], depth + 1);
    if (size < 0) return -1;
    bytes += size + name.length * 2 + SLOT_BYTES;
  }
  return bytes;
}

function freeze(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  for (const inner of Array.isArray(value) ? value : Object.values(value)) freeze(inner);
  Object.freeze(value);
}
