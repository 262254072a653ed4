import { InvalidArgumentError } from '@larder/core';

/** Longest request path normalized, in characters (8 KiB); a longer one throws InvalidArgumentError. */
export const MAX_PATH_LENGTH = 8 * 1024;

// RFC 3986 pchar without pct-encoded, plus '/': a path made only of these is already canonical.
const PLAIN_PATH = /^[\w\-.~!$&'()*+,;=:@/]*$/;

// Lookup tables by ASCII code. RAW: kept as they are (unreserved, sub-delims, ':', '@', '/').
const RAW = new Uint8Array(128);
for (const char of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/") RAW[char.charCodeAt(0)] = 1;
const UNRESERVED = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') UNRESERVED[char.charCodeAt(0)] = 1;

// Non-ASCII code points decoded into the path: those Python's str.isprintable() accepts, so
// whitespace (Zs, Zl, Zp), controls, format characters (zero-width, bidi), private use and
// surrogates stay percent-encoded. Unassigned (Cn) follows the Unicode version of Node's ICU: a
// newer Node may decode a code point an older one keeps encoded (two keys, never one shared).
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

const HEX = '0123456789ABCDEF';

/**
 * The request path (`req.url` before `?`) in one canonical form, so spellings that routers treat
 * alike share a cache entry: `%XX` of unreserved characters is decoded, percent-encoded UTF-8 of
 * printable non-ASCII characters is decoded (`/caf%C3%A9` -> `/café`, Flask's `request.path`),
 * and everything else is kept or made percent-encoded with uppercase hex (`%2F`, `%3F`, `%25`,
 * `%20`, controls, invalid UTF-8, and raw `"` `<` `>` `\` `^` backtick `{` `|` `}` `[` `]`).
 * Unlike Flask, `%2F` stays `%2F` (routers route it apart from `/`), and `.` segments and `//` are
 * left alone (the routers do not resolve them). The result never holds `?`, `#`, whitespace or a
 * control character. Throws InvalidArgumentError (E_INVALID_ARGUMENT; the caller does not cache
 * the request) for a path over MAX_PATH_LENGTH characters, a malformed `%` escape, a raw `?` or
 * `#`, or a lone surrogate.
 *
 * Fastify (find-my-way) and Express route a raw `#` as the end of the path (`/a#b` serves `/a`
 * while `/a%23b` is another route), so a raw `#` has no safe canonical form. node:http (Node
 * 20.20, also with insecureHTTPParser) answers 400 to a request line with raw bytes over 0x7F
 * (`GET /café` in UTF-8), space, controls or DEL, so `req.url` is ASCII; non-ASCII characters
 * given here anyway are taken as characters (raw `é` equals `%C3%A9`).
 *
 * Caution: Express (4 and 5) matches static routes against the undecoded path, so there `/a` and
 * `/%61` (or `/a~b` and `/a%7Eb`, `/a"b` and `/a%22b`) can reach different routes, which this one
 * form would merge; find-my-way decodes first and routes them alike. Keys for Express must also
 * name the matched route (or use the raw path).
 */
export function normalizePath(rawPath: string): string {
  if (rawPath.length > MAX_PATH_LENGTH) {
    throw new InvalidArgumentError(`the request path has ${rawPath.length} characters, over the limit of ${MAX_PATH_LENGTH}`);
  }
  return PLAIN_PATH.test(rawPath) ? rawPath : rewrite(rawPath);
}

function rewrite(path: string): string {
  let out = '';
  let i = 0;
  while (i < path.length) {
    const unit = path.charCodeAt(i);
    if (unit === 0x25) {
      const byte = escapedByte(path, i);
      if (byte < 0x80) {
        out += UNRESERVED[byte] === 1 ? String.fromCharCode(byte) : percent(byte);
        i += 3;
      } else {
        const decoded = decodeUtf8Escapes(path, i, byte);
        out += decoded.text;
        i = decoded.end;
      }
    } else if (unit < 0x80) {
      if (unit === 0x3f || unit === 0x23) throw new InvalidArgumentError('the request path holds a raw "?" or "#"');
      out += RAW[unit] === 1 ? path[i] : percent(unit);
      i += 1;
    } else {
      const cp = path.codePointAt(i)!;
      if (cp >= 0xd800 && cp <= 0xdfff) throw new InvalidArgumentError('the request path holds a lone surrogate');
      const char = String.fromCodePoint(cp);
      out += NOT_PRINTABLE.test(char) ? [...Buffer.from(char, 'utf8')].map(percent).join('') : char;
      i += char.length;
    }
  }
  return out;
}

/** The byte of the `%XX` at `at`; throws for a malformed escape (routers answer 400 or read it apart from `%25`). */
function escapedByte(path: string, at: number): number {
  const high = at + 2 < path.length ? hexValue(path.charCodeAt(at + 1)) : -1;
  const low = high === -1 ? -1 : hexValue(path.charCodeAt(at + 2));
  if (low === -1) throw new InvalidArgumentError('the request path holds a "%" that is not followed by two hex digits');
  return high * 16 + low;
}

/** One UTF-8 sequence spelled as `%XX` escapes from `at` (its lead byte given): the character if valid and printable, else the lead byte re-escaped. */
function decodeUtf8Escapes(path: string, at: number, lead: number): { text: string; end: number } {
  const invalid = { text: percent(lead), end: at + 3 };
  const [length, low, high] = lead >= 0xc2 && lead <= 0xdf ? [2, 0x80, 0xbf]
    : lead === 0xe0 ? [3, 0xa0, 0xbf]
    : lead === 0xed ? [3, 0x80, 0x9f] // no UTF-16 surrogates
    : lead >= 0xe1 && lead <= 0xef ? [3, 0x80, 0xbf]
    : lead === 0xf0 ? [4, 0x90, 0xbf] // no overlong forms
    : lead >= 0xf1 && lead <= 0xf3 ? [4, 0x80, 0xbf]
    : lead === 0xf4 ? [4, 0x80, 0x8f] // nothing over U+10FFFF
    : [0, 0, 0];
  if (length === 0) return invalid;
  let cp = lead & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const pos = at + 3 * k;
    if (path.charCodeAt(pos) !== 0x25) return invalid;
    const byte = escapedByte(path, pos);
    if (byte < (k === 1 ? low : 0x80) || byte > (k === 1 ? high : 0xbf)) return invalid;
    cp = (cp << 6) | (byte & 0x3f);
  }
  const end = at + 3 * length;
  const char = String.fromCodePoint(cp);
  return { text: NOT_PRINTABLE.test(char) ? path.slice(at, end).toUpperCase() : char, end };
}

function hexValue(unit: number): number {
  if (unit >= 0x30 && unit <= 0x39) return unit - 0x30;
  if (unit >= 0x41 && unit <= 0x46) return unit - 0x37;
  if (unit >= 0x61 && unit <= 0x66) return unit - 0x57;
  return -1;
}

function percent(byte: number): string {
  return '%' + HEX[byte >> 4]! + HEX[byte & 0xf]!;
}
