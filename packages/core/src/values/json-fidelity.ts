/** Where a value would not survive JSON with its type, and what it is. */
export interface JsonInfidelity {
  /** What was found: a constructor name (`Date`, `Map`, `Point`) or a primitive (`undefined`, `NaN`). */
  readonly type: string;
  /** Where: `.user.born`, `[2]`, `["a b"]`; empty for the value itself. */
  readonly path: string;
}

// Built-in toJSON methods turn their object into another type (a Date into a string, a
// Buffer into {type, data}); a toJSON written by the value's author is a form it chose.
const BUILT_IN_TO_JSON = new Set<unknown>([Date.prototype.toJSON, Buffer.prototype.toJSON, URL.prototype.toJSON]);
const OBJECT_PROTOTYPE = Object.prototype;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * True when `JSON.parse(JSON.stringify(value))` gives back the same types: strings, finite
 * numbers, booleans, null, arrays and plain objects (prototype Object or null) of those, and
 * objects whose own class defines `toJSON` (a form their author chose). False for a Date,
 * Map, Set, RegExp, typed array, Buffer or other class instance, an undefined / function /
 * symbol in an array or a function / symbol in an object, NaN or Infinity, anywhere inside.
 * An object property holding undefined is fine: reading it gives undefined either way.
 * Only call it on values JSON.stringify accepted, so it never meets a cycle.
 */
export function isJsonFaithful(value: unknown, inArray = false): boolean {
  if (typeof value !== 'object') {
    if (typeof value === 'string' || typeof value === 'boolean') return true;
    // Finite numbers only: NaN - NaN and Infinity - Infinity are NaN.
    if (typeof value === 'number') return value - value === 0;
    return value === undefined && !inArray;
  }
  if (value === null) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isJsonFaithful(value[i], true)) return false;
    return true;
  }
  const object = value as Record<string, unknown>;
  const toJSON = object.toJSON;
  if (typeof toJSON === 'function') return !BUILT_IN_TO_JSON.has(toJSON);
  const proto: unknown = Object.getPrototypeOf(object);
  if (proto !== OBJECT_PROTOTYPE && proto !== null) return false;
  // for-in is the fastest walk over a plain object's keys (its prototype adds none).
  for (const key in object) if (!isJsonFaithful(object[key], false)) return false;
  return true;
}

/** The first part of `value` that isJsonFaithful refuses, with its path; undefined when none. */
export function findJsonInfidelity(value: unknown): JsonInfidelity | undefined {
  const found = walk(value, false);
  return found && { type: found.type, path: found.path.reverse().join('') };
}

interface Found {
  type: string;
  path: string[];
}

function walk(value: unknown, inArray: boolean): Found | undefined {
  if (isJsonFaithful(value, inArray)) return undefined;
  if (typeof value !== 'object') return { type: typeof value === 'number' ? String(value) : typeof value, path: [] };
  if (Array.isArray(value)) return within(Array.from(value as unknown[], (item, i) => [`[${i}]`, item, true] as const));
  const object = value as Record<string, unknown>;
  const proto: unknown = Object.getPrototypeOf(object);
  if (typeof object.toJSON === 'function' || (proto !== OBJECT_PROTOTYPE && proto !== null)) return { type: typeName(object), path: [] };
  return within(Object.keys(object).map((key) => [IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`, object[key], false] as const));
}

function within(children: ReadonlyArray<readonly [string, unknown, boolean]>): Found | undefined {
  for (const [step, child, inArray] of children) {
    const found = walk(child, inArray);
    if (found) {
      found.path.push(step);
      return found;
    }
  }
  return undefined;
}

function typeName(object: object): string {
  const name: unknown = (Object.getPrototypeOf(object) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name.length > 0 ? name : 'object';
}
