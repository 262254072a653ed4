import { InvalidArgumentError } from './errors.js';

/** The prefix Flask-Caching gives template fragment keys. */
export const TEMPLATE_FRAGMENT_PREFIX = '_template_fragment_cache_';

// Deeper vary-on data than this is refused rather than walked (no stack overflow on hostile input).
const MAX_DEPTH = 100;

/**
 * The key of a cached template fragment, as Flask-Caching's `make_template_fragment_key`
 * builds it: `_template_fragment_cache_` + name, then `_` + the form of each vary-on value.
 *
 * Forms. Flask-Caching joins vary-on strings with `_` (a Flask template writes `user.id|string`),
 * so a scalar's form is its text, as Python's `str()` writes it, and a scalar shares its fragment
 * with the string of that text, on purpose: that string is the key a Flask app builds, and a
 * `user.id` that is `7` in one render and `'7'` in another names one user. Two vary-on lists
 * share a fragment only when they differ in nothing but that: `1` and `'1'`, `10n` and `'10'`,
 * `true` and `'True'`, `0`, `-0` and `'0'`, `NaN` and `'nan'`. Every other difference gives
 * another key:
 * - a string is itself, with `%` written `%25` and `_` written `%5F`; so strings without `_` or
 *   `%` give exactly Flask-Caching's key (a Flask app and a Node app share the fragment); a
 *   value containing `_` or `%` gives a different key than Flask's (which cannot tell `['a_b']`
 *   from `['a', 'b']`).
 * - a number or bigint is its decimal text (`-0` is `0`; `NaN`, `Infinity` are `nan`, `inf`, as
 *   Python writes floats); only a decimal under 0.0001 is written as JavaScript writes it
 *   (`0.00001`, `1e-7`) where Python writes `1e-05`, `1e-07`. A boolean is `True` or `False`.
 * - a Date is its ISO time (`toISOString()`), as a string; an invalid Date is refused.
 * - an object with a `toJSON` method (other than a Date) is the form of what `toJSON()` gives.
 * - `null` is `%N`, `undefined` is `%U` (a guest's fragment never meets a user named "null").
 * - an array or a plain object (prototype `Object.prototype` or `null`) is `%J` + its canonical
 *   JSON, escaped as a string is: keys sorted, no spaces, `undefined`, `NaN`, `Infinity` and
 *   bigints (`10n`) kept apart from `null` and numbers, Dates and `toJSON` objects inside as above.
 * - anything else (a class instance without `toJSON`, a Map, a Set, a function, a symbol, a
 *   cycle, data nested over 100 levels) has no stable form and throws InvalidArgumentError
 *   (`E_INVALID_ARGUMENT`): vary on a string or number such as `user.id` instead.
 * No string form contains `%N`, `%U` or `%J`, and no form contains `_`, so the values split one
 * way only. The name is kept as given (Flask-Caching compatibility): the author should not name
 * one fragment as another's name plus `_` and a value (`card` and `card_admin`).
 */
export function makeTemplateFragmentKey(name: string, varyOn: readonly unknown[] = []): string {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('a template fragment needs a non-empty name');
  if (!Array.isArray(varyOn)) throw new InvalidArgumentError(`the vary-on values of fragment "${name}" must be an array`);
  if (varyOn.length === 0) return TEMPLATE_FRAGMENT_PREFIX + name;
  const forms = varyOn.map((value: unknown, index) => {
    try {
      return varyOnForm(value, 0, new Set());
    } catch (error) {
      if (!(error instanceof NoStableForm)) throw error;
      throw new InvalidArgumentError(
        `vary-on value ${index + 1} of fragment "${name}" ${error.message}, which has no stable key form; vary on a string or number (such as user.id)`,
      );
    }
  });
  return `${TEMPLATE_FRAGMENT_PREFIX}${name}_${forms.join('_')}`;
}

/** Says what a value without a stable form is (its type, never its content). */
class NoStableForm extends Error {}

function varyOnForm(value: unknown, depth: number, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return escapeText(value);
    case 'number':
      return pythonNumber(value);
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 'True' : 'False';
    case 'undefined':
      return '%U';
    case 'object':
      if (value === null) return '%N';
      if (value instanceof Date) return escapeText(isoTime(value));
      if (Array.isArray(value) || isPlainObject(value)) return `%J${escapeText(canonicalJson(value, depth, seen))}`;
      return withToJson(value, 'is', depth, seen, (json) => varyOnForm(json, depth + 1, seen));
    default:
      throw new NoStableForm(`is a ${typeof value}`);
  }
}

/** JSON with sorted keys and no spaces, plus tokens JSON lacks (`undefined`, `NaN`, `10n`), so different data never meet. */
function canonicalJson(value: unknown, depth: number, seen: Set<object>): string {
  if (depth > MAX_DEPTH) throw new NoStableForm(`is nested over ${MAX_DEPTH} levels deep`);
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof Date) return JSON.stringify(isoTime(value));
      if (!Array.isArray(value) && !isPlainObject(value)) return withToJson(value, 'contains', depth, seen, (json) => canonicalJson(json, depth + 1, seen));
      if (seen.has(value)) throw new NoStableForm('contains a cycle');
      seen.add(value);
      const text = Array.isArray(value)
        ? `[${value.map((item: unknown) => canonicalJson(item, depth + 1, seen)).join(',')}]`
        : `{${Object.keys(value)
            .sort()
            .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key], depth + 1, seen)}`)
            .join(',')}}`;
      seen.delete(value);
      return text;
    }
    default:
      throw new NoStableForm(`contains a ${typeof value}`);
  }
}

/** The form of an object that declares its own JSON form; anything else has none. */
function withToJson(value: object, verb: 'is' | 'contains', depth: number, seen: Set<object>, formOf: (json: unknown) => string): string {
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON !== 'function') throw new NoStableForm(`${verb} a ${describeObject(value)}`);
  if (seen.has(value) || depth > MAX_DEPTH) throw new NoStableForm('has a toJSON that does not settle');
  seen.add(value);
  try {
    return formOf(toJSON.call(value, ''));
  } finally {
    seen.delete(value);
  }
}

function isoTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new NoStableForm('is an invalid Date');
  return date.toISOString();
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describeObject(value: object): string {
  const constructorName = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof constructorName === 'string' && constructorName !== '' ? `${constructorName} instance` : 'non-plain object';
}

// `_` separates the values and `%` introduces escapes, so a value's own `%` and `_` are escaped.
function escapeText(text: string): string {
  return text.replace(/[%_]/g, (char) => (char === '%' ? '%25' : '%5F'));
}

// Python's str() of the number: integers as digits (as a Python int), NaN and the infinities as a
// Python float writes them; String() already writes -0 as 0.
function pythonNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return Number.isInteger(value) && Math.abs(value) >= 1e21 ? BigInt(value).toString() : String(value);
}
