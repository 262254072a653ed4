import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';

/**
 * A stable digest of call arguments: object keys in sorted order, so `{a, b}` and `{b, a}`
 * hash alike; Buffers, Dates, Maps, Sets, BigInts and undefined are told apart from look-alikes.
 */
export function hashArguments(args: readonly unknown[]): string {
  return createHash('sha256').update(normalise(args, new Set())).digest('base64url').slice(0, 32);
}

function normalise(value: unknown, seen: Set<object>): string {
  if (value === undefined) return 'u';
  if (value === null) return 'n';
  switch (typeof value) {
    case 'string':
      return `s${JSON.stringify(value)}`;
    case 'number':
      return `d${Object.is(value, -0) ? '-0' : String(value)}`;
    case 'boolean':
      return value ? 't' : 'f';
    case 'bigint':
      return `b${value.toString()}`;
    case 'symbol':
    case 'function':
      throw new InvalidArgumentError(`memoize cannot key on a ${typeof value} argument; pass a name or id instead`);
  }
  const object = value as object;
  if (seen.has(object)) throw new InvalidArgumentError('memoize cannot key on a circular argument');
  seen.add(object);
  try {
    if (Buffer.isBuffer(object) || object instanceof Uint8Array) return `x${Buffer.from(object as Uint8Array).toString('hex')}`;
    if (object instanceof Date) return `D${object.toISOString()}`;
    if (Array.isArray(object)) return `[${object.map((item) => normalise(item, seen)).join(',')}]`;
    if (object instanceof Map) {
      const entries = [...object].map(([k, v]) => `${normalise(k, seen)}:${normalise(v, seen)}`).sort();
      return `M{${entries.join(',')}}`;
    }
    if (object instanceof Set) return `S{${[...object].map((item) => normalise(item, seen)).sort().join(',')}}`;
    const record = object as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${normalise(record[key], seen)}`).join(',')}}`;
  } finally {
    seen.delete(object);
  }
}
