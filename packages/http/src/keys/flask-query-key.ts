import { hash } from 'node:crypto';
import { InvalidArgumentError } from '@larder/core';

/** Hash functions Flask-Caching's `hash_method` accepts (its SUPPORTED_HASH_FUNCTIONS); md5 is its default up to 2.4, sha256 from 2.5. */
export type QueryHashMethod = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** Longest raw query string parsed, in characters (16 KiB); a longer one throws InvalidArgumentError. */
export const MAX_QUERY_LENGTH = 16 * 1024;

/** Most non-empty `&`-separated fields parsed (urllib's `max_num_fields` idea); more throw InvalidArgumentError. */
export const MAX_QUERY_PAIRS = 1000;

const HASH_METHODS: ReadonlySet<string> = new Set<QueryHashMethod>(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']);

// The hash of `()` per method, for the most common query: none.
const EMPTY_QUERY_HASH: Partial<Record<QueryHashMethod, string>> = {};

// In `u` mode a paired surrogate is one code point, so this matches lone surrogates only.
const LONE_SURROGATE = /\p{Cs}/u;

// Python's str.isprintable() is false for exactly these general categories (U+0020 aside, which
// is ASCII and handled before this test). Unassigned code points (Cn) follow the Unicode version
// of Node's ICU, which can differ from the Python's (Node 20.20 has Unicode 17, Debian 12's
// Python 3.11 has 14): a code point assigned in between is kept as is here and escaped there.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

// Printable ASCII other than the two quotes and the backslash: repr() leaves it alone.
const PLAIN_REPR = /^[ !#-&(-[\]-~]*$/;

/**
 * The query's (name, value) pairs as werkzeug's `request.args.items(multi=True)` has them: split
 * on `&` only, empty fields skipped, `=`-less fields get '', `+` is a space, `%XX` decoded
 * (a malformed `%` stays), bytes decoded as UTF-8 with U+FFFD for invalid ones (Werkzeug 2.2, as
 * Debian 12 ships it; Werkzeug 2.3+ keeps invalid bytes as `%XX` instead, so keys for queries
 * with invalid UTF-8 differ between the two werkzeug lines, and only there). Non-ASCII
 * characters in `rawQuery` are taken as their UTF-8 bytes (node:http answers 400 to raw bytes
 * over 0x7F, so `req.url` is ASCII). The query is attacker-controlled: over MAX_QUERY_LENGTH
 * characters, over MAX_QUERY_PAIRS fields or with a lone surrogate it throws InvalidArgumentError
 * (E_INVALID_ARGUMENT), which the caller takes as "do not cache this request".
 */
export function queryPairs(rawQuery: string): Array<[string, string]> {
  if (rawQuery.length > MAX_QUERY_LENGTH) {
    throw new InvalidArgumentError(`the query string has ${rawQuery.length} characters, over the limit of ${MAX_QUERY_LENGTH}`);
  }
  const pairs: Array<[string, string]> = [];
  if (rawQuery === '') return pairs;
  if (LONE_SURROGATE.test(rawQuery)) throw new InvalidArgumentError('the query string holds a lone surrogate, which has no UTF-8 form');
  for (const field of rawQuery.split('&')) {
    if (field === '') continue;
    if (pairs.length === MAX_QUERY_PAIRS) {
      throw new InvalidArgumentError(`the query string has more than ${MAX_QUERY_PAIRS} fields`);
    }
    const equals = field.indexOf('=');
    if (equals === -1) pairs.push([unquotePlus(field), '']);
    else pairs.push([unquotePlus(field.slice(0, equals)), unquotePlus(field.slice(equals + 1))]);
  }
  return pairs;
}

/** Python 3's `str(tuple(pairs))` for a tuple of 2-tuples of str, `()` and the 1-tuple's trailing comma included. */
export function pythonTupleRepr(pairs: ReadonlyArray<readonly [string, string]>): string {
  let out = '(';
  for (let i = 0; i < pairs.length; i++) {
    const [name, value] = pairs[i]!;
    out += `${i === 0 ? '' : ', '}(${pythonStrRepr(name)}, ${pythonStrRepr(value)})`;
  }
  return out + (pairs.length === 1 ? ',)' : ')');
}

/**
 * The hexdigest Flask-Caching's `_make_cache_key_query_string` computes for this raw query string
 * whenever no argument name repeats (names compared up to their first `[`); throws as queryPairs does. Flask-Caching sorts the (name,
 * value) pairs, so `?a=EVIL&a=1` and `?a=1&a=EVIL` share its key, though handlers see the values in
 * the order received (`getlist`, Express's arrays): here the pairs are sorted by name only, keeping
 * a repeated name's values in the order received, so those two are two entries; a name is taken up
 * to its first `[`, since Express 4's qs merges `a`, `a[]` and `a[1]` into one array. That is the
 * one divergence from Flask-Caching's key, and only for queries that repeat a name so.
 */
export function flaskQueryHash(rawQuery: string, method: QueryHashMethod = 'md5'): string {
  if (!HASH_METHODS.has(method)) throw new InvalidArgumentError(`hash method must be one of ${[...HASH_METHODS].join(', ')}`);
  if (rawQuery === '') return (EMPTY_QUERY_HASH[method] ??= hash(method, '()', 'hex'));
  return hash(method, pythonTupleRepr(queryPairs(rawQuery).sort(compareNames)), 'hex');
}

/**
 * Flask-Caching's `@cache.cached(query_string=True)` key (released 2.x, up to 2.4.1): `path` as
 * given (Flask's `request.path`; pass normalizePath's result) + the query's hexdigest. Its
 * unreleased 2.5 prepends the `view/` key prefix and defaults to sha256: pass `'view/' + path`.
 */
export function flaskQueryKey(path: string, rawQuery: string, method?: QueryHashMethod): string {
  return path + flaskQueryHash(rawQuery, method);
}

/** werkzeug's url_unquote_plus with charset utf-8, errors 'replace'. */
function unquotePlus(text: string): string {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!spaced.includes('%')) return spaced;
  const bytes = Buffer.from(spaced, 'utf8');
  // Decoded in place: the write position never passes the read position.
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x25 && i + 2 < bytes.length) {
      const high = hexValue(bytes[i + 1]!);
      const low = hexValue(bytes[i + 2]!);
      if (high !== -1 && low !== -1) {
        bytes[length++] = high * 16 + low;
        i += 2;
        continue;
      }
    }
    bytes[length++] = byte;
  }
  // Buffer's UTF-8 decoder replaces invalid sequences with U+FFFD per maximal subpart, as
  // Python's 'replace' does, and keeps a leading BOM (TextDecoder would drop it).
  return bytes.toString('utf8', 0, length);
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/** Python's repr(str): CPython's unicode_repr, code point by code point. */
function pythonStrRepr(text: string): string {
  if (PLAIN_REPR.test(text)) return `'${text}'`;
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    if (char === quote || char === '\\') out += '\\' + char;
    else if (char === '\t') out += '\\t';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + hex(cp, 2);
    else if (cp < 0x7f || !NOT_PRINTABLE.test(char)) out += char;
    else if (cp <= 0xff) out += '\\x' + hex(cp, 2);
    else if (cp <= 0xffff) out += '\\u' + hex(cp, 4);
    else out += '\\U' + hex(cp, 8);
  }
  return out + quote;
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0');
}

/**
 * Orders pairs by name alone, up to its first `[`: Array.prototype.sort is stable, so a repeated
 * name's values keep their order, and so do `a`, `a[]` and `a[1]`, which Express 4's query parser
 * (qs) merges into one array in the order received.
 */
function compareNames(a: readonly [string, string], b: readonly [string, string]): number {
  return compareCodePoints(arrayBase(a[0]), arrayBase(b[0]));
}

function arrayBase(name: string): string {
  const bracket = name.indexOf('[');
  return bracket === -1 ? name : name.slice(0, bracket);
}

/** Python's str order (by code point), which differs from JS's UTF-16 order above U+D7FF. */
function compareCodePoints(a: string, b: string): number {
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Both at or above U+D800: a surrogate (half of an astral code point) sorts after U+E000-U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) return surrogatesLast(x) - surrogatesLast(y);
    return x - y;
  }
  return a.length - b.length;
}

function surrogatesLast(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
