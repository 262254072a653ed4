import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '@larder/core';
import {
  MAX_QUERY_LENGTH,
  MAX_QUERY_PAIRS,
  flaskQueryHash,
  flaskQueryKey,
  pythonTupleRepr,
  queryPairs,
  type QueryHashMethod,
} from '../src/keys/flask-query-key.js';
import { normalizePath } from '../src/keys/normalize-path.js';
import { askFlaskKeys } from './flask-keys.js';
import { seededRandom } from './seeded-random.js';

interface FlaskRequest { url: string; status: number; path: string | null; query: string | null; keys: string[] }
interface FlaskAnswer { requests: FlaskRequest[]; reprs: string[]; categories: string[]; unicode: string }

/** One Python process: a real Flask app with Flask-Caching answers every URL, repr and category asked. */
function askFlask(request: { urls: string[]; reprs: Array<Array<[string, string]>>; codePoints: number[] }): FlaskAnswer {
  return askFlaskKeys(request) as FlaskAnswer;
}

// Queries where werkzeug's parsing, Python's repr or Python's sort order are easy to get wrong.
const TRICKY = [
  '', 'a=1', 'b=2&a=1', 'a=1&b=2', 'a=2&a=1', 'a=1&a=1', 'Q=1&q=1', 'a=&b=', 'a', 'a&b=', '=', '=x', 'x=',
  '&&', '&a=1&&b=2&', 'a=1=2', 'a==', 'a=1;b=2', ';', 'q=a+b', 'q=a%2Bb', '+=+', 'q=%20', 'q=%26&r=%3D', '%3D=%26',
  'q=%27', "q='", 'q=%22', 'q=%27%22', 'q=it%27s', 'q=%22it%27s%22', 'q=%5C', 'q=\\', 'q=%5C%27',
  'q=%0A', 'q=%09', 'q=%0D', 'q=%00', 'q=%7F', 'q=%1B', 'q=%0B%0C', 'q=%C2%A0', 'q=%C2%85', 'q=%C2%AD', 'q=%C2%A1',
  'q=%E2%80%8B', 'q=%E2%80%A8', 'q=%E2%80%A9', 'q=%EF%BB%BF', 'q=%EF%BB%BFx', 'q=%E3%80%80', 'q=%CD%8F', 'q=%CD%B8',
  'q=%C3%A9', 'q=%c3%a9', 'q=%e9', 'q=%E2%82%AC', 'q=%F0%9F%98%80', 'q=%F0%90%80%80', 'q=%EE%80%80', 'q=%F3%A0%80%81',
  'q=%F3%B0%80%80', 'q=%F2%80%80%80', 'q=%F4%8F%BF%BF',
  'a=%F0%9F%98%80&a=%EE%80%80&a=%EF%BF%BD&a=%ED%9F%BF&a=z',
  '%F0%9F%98%80=1&%EF%BC%A1=2&%EE%80%80=3&%7E=4',
  'q=%FF', 'q=%C3', 'q=%C3%28', 'q=%ED%A0%80', 'q=%ED%A0%80%ED%B0%80', 'q=%C0%AF', 'q=%E0%80%AF', 'q=%F4%90%80%80',
  'q=%E0%A0', 'q=%F0%9F%98', 'q=%80', 'q=%FE%FF',
  'q=%zz', 'q=%4', 'q=%', 'q=%%41', 'q=100%', 'q=%2', '%=%',
  'q=é', 'q=😀&r=\ue000',
];

const SPECIAL_CODE_POINTS = [0x20, 0x22, 0x25, 0x26, 0x27, 0x2b, 0x3d, 0x5c, 0x0a, 0x00, 0x7f, 0xa0, 0x200b, 0xe000, 0xfeff, 0xfffd, 0xff21, 0x1f600, 0x10000, 0x10ffff];

function randomCodePoint(next: () => number, surrogates: boolean): number {
  const pick = next();
  const inRange = (low: number, high: number) => low + Math.floor(next() * (high - low + 1));
  if (pick < 0.25) return inRange(0, 0x7f);
  if (pick < 0.35) return inRange(0x80, 0xff);
  if (pick < 0.6) {
    const cp = inRange(0x100, 0xffff);
    return !surrogates && cp >= 0xd800 && cp <= 0xdfff ? cp + 0x800 : cp;
  }
  if (pick < 0.8) return inRange(0x10000, 0x10ffff);
  return SPECIAL_CODE_POINTS[Math.floor(next() * SPECIAL_CODE_POINTS.length)]!;
}

function randomText(next: () => number, maxLength: number, surrogates: boolean, used: Set<number>): string {
  let text = '';
  const length = Math.floor(next() * (maxLength + 1));
  for (let i = 0; i < length; i++) {
    const cp = randomCodePoint(next, surrogates);
    used.add(cp);
    text += String.fromCodePoint(cp);
  }
  return text;
}

// Raw in the URL only where the test client and werkzeug take it as it is; the rest percent-encoded.
const RAW_SAFE = /^[A-Za-z0-9\-._~!$'()*,;:@/?=]$/;

/** Spells a text for a query: raw, `+` for space, `%XX` in either hex case, raw non-ASCII sometimes, stray bytes and malformed `%` now and then. */
function spell(next: () => number, text: string): string {
  let out = '';
  for (const char of text) {
    const roll = next();
    if (roll < 0.04) out += `%${(0x80 + Math.floor(next() * 0x80)).toString(16)}`;
    else if (roll < 0.06) out += next() < 0.5 ? '%g' : '%';
    if (char === ' ' && next() < 0.5) out += '+';
    else if (RAW_SAFE.test(char) && next() < 0.7) out += char;
    else if (char.codePointAt(0)! > 0x7f && next() < 0.15) out += char;
    else {
      const escaped = [...Buffer.from(char, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
      out += next() < 0.5 ? escaped.toUpperCase() : escaped;
    }
  }
  return out;
}

function randomQuery(next: () => number, used: Set<number>): string {
  const fields: string[] = [];
  const names: string[] = [];
  const count = Math.floor(next() * 7);
  for (let i = 0; i < count; i++) {
    const roll = next();
    if (roll < 0.08) fields.push('');
    else {
      const name = names.length > 0 && roll < 0.3 ? names[Math.floor(next() * names.length)]! : spell(next, randomText(next, 4, false, used));
      names.push(name);
      fields.push(roll > 0.92 ? name : `${name}=${spell(next, randomText(next, 6, false, used))}`);
    }
  }
  return fields.join('&');
}

const GENERAL_CATEGORIES = ['Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'Mn', 'Mc', 'Me', 'Nd', 'Nl', 'No', 'Pc', 'Pd', 'Ps', 'Pe', 'Pi', 'Pf', 'Po', 'Sm', 'Sc', 'Sk', 'So', 'Zs', 'Zl', 'Zp', 'Cc', 'Cf', 'Cs', 'Co', 'Cn'].map(
  (name) => [name, new RegExp(`^\\p{gc=${name}}$`, 'u')] as const,
);
/** The general category in Node's ICU, to tell where its Unicode version and the Python's disagree. */
function nodeCategory(cp: number): string {
  const char = String.fromCodePoint(cp);
  return GENERAL_CATEGORIES.find(([, pattern]) => pattern.test(char))![0];
}

const next = seededRandom(20240611);
const used = new Set<number>();
const propertyQueries = Array.from({ length: 400 }, () => randomQuery(next, used));
const propertyReprs = Array.from({ length: 300 }, () =>
  Array.from({ length: Math.floor(next() * 4) }, (): [string, string] => [randomText(next, 4, true, used), randomText(next, 6, true, used)]),
);
const FIXED_REPRS: Array<Array<[string, string]>> = [
  [], [['a', '1']], [['a', '1'], ['b', '']], [["it's", 'say "hi"']], [["'", '"']], [['\'"', '\\']], [['\t\n\r\x00\x1f\x7f', '\x80\x9f\xa0\xad\xff']],
  [['\u0100\u0378\u200b\u2028\u3000\ue000\ufeff\ufffd', '\u{10000}\u{1f600}\u{e0001}\u{f0000}\u{10ffff}']], [['\ud800', '\udfff\ud83d']], [['é', '😀']],
];
const SHAKING_FACE = 0x1fae8; // assigned in Unicode 15.0

const CAP_QUERY = Array.from({ length: MAX_QUERY_PAIRS }, (_, i) => `k${(i * 7919) % MAX_QUERY_PAIRS}=${i}`).join('&');
const tableUrls = [...TRICKY, CAP_QUERY].flatMap((query) => [`/k?${query}`, `/sha256/k?${query}`]);
const propertyUrls = propertyQueries.map((query, i) => (i % 4 === 0 ? `/sha256/k?${query}` : `/k?${query}`));
const NON_ASCII_PATH = '/caf%C3%A9/%F0%9F%98%80';

interface Peer { flask: FlaskAnswer; byUrl: Map<string, FlaskRequest>; versionGap: Set<number> }
let peer: Peer | undefined;

/** Flask's answers for every case of this file, from one Python process started on first use. */
function python(): Peer {
  if (peer) return peer;
  const codePoints = [...used, SHAKING_FACE].filter((cp) => cp < 0xd800 || cp > 0xdfff);
  const flask = askFlask({
    urls: [...tableUrls, ...propertyUrls, `${NON_ASCII_PATH}?b=2&a=1`],
    reprs: [...FIXED_REPRS, ...propertyReprs, [['q', String.fromCodePoint(SHAKING_FACE)]]],
    codePoints,
  });
  const byUrl = new Map(flask.requests.map((request) => [request.url, request]));
  // Code points the two Unicode versions categorise apart (assigned in one, not the other).
  const versionGap = new Set(codePoints.filter((cp, i) => flask.categories[i] !== nodeCategory(cp)));
  return (peer = { flask, byUrl, versionGap });
}

/** The key Flask-Caching stored for a URL, after checking the app got exactly the query we meant. */
function flaskKey(url: string): string {
  const request = python().byUrl.get(url);
  assert.ok(request, `no answer for ${url}`);
  const sent = url.slice(url.indexOf('?') + 1);
  assert.equal(request.query, Buffer.from(sent, 'utf8').toString('hex'), `the test client changed the query of ${url}`);
  assert.equal(request.status, 200, url);
  assert.equal(request.keys.length, 1, `${url}: ${request.keys.join(', ')}`);
  return request.keys[0]!;
}

function nodeKey(url: string): string {
  const [path, query] = [url.slice(0, url.indexOf('?')), url.slice(url.indexOf('?') + 1)];
  const method: QueryHashMethod = path.startsWith('/sha256/') ? 'sha256' : 'md5';
  return flaskQueryKey(path, query, method);
}

const invalid = { name: 'InvalidArgumentError', code: 'E_INVALID_ARGUMENT' };

/** Python's order of str (by code point). */
function pythonOrder(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/**
 * True when Larder's order of the pairs (stable, by name up to its first `[`) is not Python's
 * sorted order: the one case where its key is not Flask-Caching's (documented).
 */
function repeatsOutOfOrder(url: string): boolean {
  const pairs = queryPairs(url.slice(url.indexOf('?') + 1));
  const base = (name: string) => (name.includes('[') ? name.slice(0, name.indexOf('[')) : name);
  const ours = [...pairs].sort((a, b) => pythonOrder(base(a[0]), base(b[0])));
  const python = [...pairs].sort((a, b) => pythonOrder(a[0], b[0]) || pythonOrder(a[1], b[1]));
  return ours.some((pair, i) => pair[0] !== python[i]![0] || pair[1] !== python[i]![1]);
}

describe('flaskQueryKey: the key a real Flask app with Flask-Caching stores', () => {
  it('is equal for every tricky query, with md5 and with sha256, unless a repeated name has its values out of order', () => {
    let diverged = 0;
    for (const url of tableUrls) {
      if (repeatsOutOfOrder(url)) {
        assert.notEqual(nodeKey(url), flaskKey(url), url);
        diverged += 1;
      } else {
        assert.equal(nodeKey(url), flaskKey(url), url);
      }
    }
    assert.ok(diverged > 0 && diverged < tableUrls.length / 4, `${diverged} of ${tableUrls.length}`);
  });

  it('is equal for random queries of random code points (seeded)', () => {
    const { versionGap } = python();
    let compared = 0;
    for (const url of propertyUrls) {
      const pairs = queryPairs(url.slice(url.indexOf('?') + 1));
      const gap = pairs.some((pair) => [...pair.join('')].some((char) => versionGap.has(char.codePointAt(0)!)));
      if (gap || repeatsOutOfOrder(url)) continue;
      assert.equal(nodeKey(url), flaskKey(url), url);
      compared += 1;
    }
    assert.ok(compared >= propertyUrls.length * 0.7, `only ${compared} of ${propertyUrls.length} compared (Unicode version gap: ${versionGap.size} code points)`);
  });

  it('takes the path as given: with normalizePath it is the key Flask stores for a non-ASCII path', () => {
    const url = `${NON_ASCII_PATH}?b=2&a=1`;
    assert.equal(flaskQueryKey(normalizePath(NON_ASCII_PATH), 'b=2&a=1'), flaskKey(url));
    assert.equal(flaskKey(url), '/café/😀' + flaskQueryHash('a=1&b=2'));
  });

  it('is path + hexdigest, with no view/ prefix and no separator', () => {
    assert.equal(flaskQueryKey('/k', ''), '/k' + createHash('md5').update('()').digest('hex'));
    assert.equal(flaskQueryKey('/k', 'a=1', 'sha1'), '/k' + createHash('sha1').update("(('a', '1'),)").digest('hex'));
    for (const method of ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const) {
      assert.equal(flaskQueryHash('b=2&a=1', method), createHash(method).update("(('a', '1'), ('b', '2'))").digest('hex'), method);
    }
  });

  it('refuses a hash method Flask-Caching does not support', () => {
    assert.throws(() => flaskQueryHash('a=1', 'sha3-256' as QueryHashMethod), invalid);
  });

  it("differs from Python only where Node's Unicode assigns a code point that the Python's does not (documented)", () => {
    const { flask, versionGap } = python();
    const index = [...used, SHAKING_FACE].filter((cp) => cp < 0xd800 || cp > 0xdfff).indexOf(SHAKING_FACE);
    const pythonRepr = flask.reprs.at(-1);
    const repr = pythonTupleRepr([['q', String.fromCodePoint(SHAKING_FACE)]]);
    if (flask.categories[index] === nodeCategory(SHAKING_FACE)) {
      assert.equal(repr, pythonRepr);
    } else {
      assert.equal(flask.categories[index], 'Cn', `Python's Unicode ${flask.unicode} does not have it`);
      assert.equal(pythonRepr, "(('q', '\\U0001fae8'),)", 'Python escapes it as unassigned');
      assert.equal(repr, "(('q', '\u{1fae8}'),)", "Node's Unicode has it: kept as is");
      assert.ok(versionGap.has(SHAKING_FACE));
    }
  });
});

describe('queryPairs: request.args.items(multi=True) as werkzeug parses it', () => {
  it('splits on & only, skips empty fields, keeps blank values and order', () => {
    assert.deepEqual(queryPairs(''), []);
    assert.deepEqual(queryPairs('&&'), []);
    assert.deepEqual(queryPairs('b=2&&a=&c'), [['b', '2'], ['a', ''], ['c', '']]);
    assert.deepEqual(queryPairs('a=1=2'), [['a', '1=2']]);
    assert.deepEqual(queryPairs('a=1;b=2'), [['a', '1;b=2']]);
    assert.deepEqual(queryPairs('='), [['', '']]);
  });

  it('decodes + as space before %XX, so %2B stays a plus', () => {
    assert.deepEqual(queryPairs('q=a+b&r=a%2Bb&%3D=%26'), [['q', 'a b'], ['r', 'a+b'], ['=', '&']]);
  });

  it('keeps a malformed % and replaces invalid UTF-8 with U+FFFD', () => {
    assert.deepEqual(queryPairs('q=%zz&r=%4&s=%&t=%%41'), [['q', '%zz'], ['r', '%4'], ['s', '%'], ['t', '%A']]);
    assert.deepEqual(queryPairs('q=%FF&r=%C3&s=%C3%A9&t=%ED%A0%80'), [['q', '\ufffd'], ['r', '\ufffd'], ['s', 'é'], ['t', '\ufffd\ufffd\ufffd']]);
    assert.deepEqual(queryPairs('q=%EF%BB%BF'), [['q', '\ufeff']], 'a BOM is data, not dropped');
  });
});

describe('pythonTupleRepr: str(tuple) of 2-tuples of str, exactly', () => {
  it('is equal to Python for fixed edge cases', () => {
    const { flask } = python();
    FIXED_REPRS.forEach((pairs, i) => assert.equal(pythonTupleRepr(pairs), flask.reprs[i], JSON.stringify(pairs)));
    assert.equal(pythonTupleRepr([]), '()');
    assert.equal(pythonTupleRepr([['a', '1']]), "(('a', '1'),)");
    assert.equal(pythonTupleRepr([["it's", 'x']]), `(("it's", 'x'),)`);
    assert.equal(pythonTupleRepr([['\'"', '']]), `(('\\'"', ''),)`);
  });

  it('is equal to Python for random strings of random code points, lone surrogates included (seeded)', () => {
    const { flask, versionGap } = python();
    let compared = 0;
    propertyReprs.forEach((pairs, i) => {
      if (pairs.some((pair) => [...pair.join('')].some((char) => versionGap.has(char.codePointAt(0)!)))) return;
      assert.equal(pythonTupleRepr(pairs), flask.reprs[FIXED_REPRS.length + i], JSON.stringify(pairs));
      compared += 1;
    });
    assert.ok(compared >= propertyReprs.length * 0.9, `only ${compared} of ${propertyReprs.length} compared`);
  });
});

describe('flaskQueryHash: sorted as Python sorts tuples of str', () => {
  it("orders names by code point, not UTF-16: U+E000 before an emoji; a repeated name's values as received", () => {
    const expected = "(('a', '\\ue000'), ('a', '😀'), ('b', ''), ('\\ue000', 'y'), ('😀', 'x'))";
    const query = 'a=%EE%80%80&%F0%9F%98%80=x&b&a=%F0%9F%98%80&%EE%80%80=y';
    assert.equal(flaskQueryHash(query), createHash('md5').update(expected).digest('hex'));
    assert.ok('😀' < '\ue000', 'JS compares UTF-16 code units the other way');
  });

  it('gives one hash for any order of the same arguments', () => {
    assert.equal(flaskQueryHash('offset=20&limit=10'), flaskQueryHash('limit=10&offset=20'));
    assert.notEqual(flaskQueryHash('a=1&a=2'), flaskQueryHash('a=1'));
  });

  it("keeps a repeated name's values in the order received (handlers see them so): ?a=EVIL&a=1 and ?a=1&a=EVIL are two keys", () => {
    assert.notEqual(flaskQueryHash('a=EVIL&a=1'), flaskQueryHash('a=1&a=EVIL'));
    assert.equal(flaskQueryHash('a=EVIL&b=2&a=1'), createHash('md5').update("(('a', 'EVIL'), ('a', '1'), ('b', '2'))").digest('hex'));
    assert.equal(flaskQueryHash('b=2&a=EVIL&a=1'), flaskQueryHash('a=EVIL&a=1&b=2'), 'other names still sort');
    assert.equal(flaskQueryHash('a=1&a=EVIL'), createHash('md5').update("(('a', '1'), ('a', 'EVIL'))").digest('hex'), "values already in order: Flask-Caching's key");
  });

  it("takes a name up to its first [ (Express 4's qs merges a, a[] and a[1] into one array in the order received)", () => {
    assert.notEqual(flaskQueryHash('a=EVIL&a[]=1'), flaskQueryHash('a[]=1&a=EVIL'));
    assert.notEqual(flaskQueryHash('a=1&a[1]=EVIL'), flaskQueryHash('a[1]=EVIL&a=1'));
    assert.equal(flaskQueryHash('b=2&a[]=1'), flaskQueryHash('a[]=1&b=2'), 'other names still sort');
  });
});

describe('bounds: an attacker-sized query throws InvalidArgumentError (the caller does not cache)', () => {
  it(`takes ${MAX_QUERY_PAIRS} fields and refuses one more`, () => {
    assert.equal(queryPairs(CAP_QUERY).length, MAX_QUERY_PAIRS);
    assert.throws(() => queryPairs(`${CAP_QUERY}&x=1`), invalid);
    assert.throws(() => flaskQueryKey('/k', `${CAP_QUERY}&x=1`), InvalidArgumentError);
    assert.equal(queryPairs(`${CAP_QUERY}&&&`).length, MAX_QUERY_PAIRS, 'empty fields do not count');
  });

  it(`takes ${MAX_QUERY_LENGTH} characters and refuses one more`, () => {
    const longest = `q=${'x'.repeat(MAX_QUERY_LENGTH - 2)}`;
    assert.equal(queryPairs(longest)[0]![1].length, MAX_QUERY_LENGTH - 2);
    assert.throws(() => queryPairs(`${longest}x`), invalid);
    assert.throws(() => flaskQueryHash(`${longest}x`, 'sha256'), (error: unknown) => error instanceof InvalidArgumentError && error.code === 'E_INVALID_ARGUMENT');
  });

  it('refuses a lone surrogate, which has no UTF-8 form, and keeps the query out of the message', () => {
    assert.throws(() => queryPairs('q=\ud800secret'), (error: unknown) => error instanceof InvalidArgumentError && !error.message.includes('secret'));
    assert.deepEqual(queryPairs('q=\ud83d\ude00'), [['q', '😀']], 'a surrogate pair is one character');
  });
});
