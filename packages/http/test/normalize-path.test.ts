import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { InvalidArgumentError } from '@larder/core';
import { MAX_PATH_LENGTH, normalizePath } from '../src/keys/normalize-path.js';
import { askFlaskKeys } from './flask-keys.js';
import { seededRandom } from './seeded-random.js';

interface FlaskRequest { url: string; status: number; path: string | null; keys: string[] }

/** One Python process: a real Flask app reports request.path (and the Flask-Caching key) for every URL. */
function askFlask(urls: string[]): FlaskRequest[] {
  return (askFlaskKeys({ urls }) as { requests: FlaskRequest[] }).requests;
}

const invalid = { name: 'InvalidArgumentError', code: 'E_INVALID_ARGUMENT' };

// Where normalizePath and Flask's request.path agree: unreserved and non-ASCII spellings.
const AGREES = [
  '/', '/a/', '/caf%C3%A9', '/caf%c3%a9', '/%41', '/%61%62c', '/a~b', '/a%7Eb', '/a%7eb', '/a%2Db%2E%5F', '/%F0%9F%98%80',
  '/%C3%A9t%C3%A9/%E2%82%AC', '/a:b@c', "/a!$&'()*+,;=b", '/x//y', '/x/./y', '/x/../y', '/%CD%8F',
];
// Where we differ on purpose, with what Flask's request.path is and what we give.
const DIFFERS: Array<[url: string, flask: string, ours: string, why: string]> = [
  ['/a%2Fb', '/a/b', '/a%2Fb', 'routers route an encoded slash apart from a real one'],
  ['/a%3Fb', '/a?b', '/a%3Fb', 'a path must never spell a query'],
  ['/a%23b', '/a#b', '/a%23b', 'a path never holds #'],
  ['/a%25b', '/a%b', '/a%25b', '% would make a second decoding ambiguous'],
  ['/a%20b', '/a b', '/a%20b', 'no whitespace in a key'],
  ['/a%0Ab', '/a\nb', '/a%0Ab', 'no controls in a key'],
  ['/a%22b', '/a"b', '/a%22b', 'not allowed raw in a path'],
  ['/a%27b', "/a'b", '/a%27b', 'an encoded sub-delim is not the sub-delim'],
  ['/a%5Bb', '/a[b', '/a%5Bb', 'not allowed raw in a path'],
  ['/%FF', '/\ufffd', '/%FF', 'invalid UTF-8 stays bytes: /%FF and /%FE are two requests'],
  ['/%C3', '/\ufffd', '/%C3', 'invalid UTF-8 stays bytes'],
  ['/%C0%AF', '/\ufffd\ufffd', '/%C0%AF', 'an overlong form stays bytes'],
  ['/a%E2%80%8Bb', '/a\u200bb', '/a%E2%80%8Bb', 'invisible (Cf) characters stay encoded'],
  ['/a%C2%A0b', '/a\u00a0b', '/a%C2%A0b', 'non-ASCII whitespace stays encoded'],
];

let flask: Map<string, FlaskRequest> | undefined;
/** Flask's answers for every path of this file, from one Python process started on first use. */
function python(): Map<string, FlaskRequest> {
  return (flask ??= new Map(askFlask([...AGREES, ...DIFFERS.map(([url]) => url)]).map((request) => [request.url, request])));
}

describe("normalizePath and Flask's request.path", () => {
  it('agree for unreserved and non-ASCII spellings; the Flask-Caching key starts with our path', () => {
    for (const url of AGREES) {
      const request = python().get(url);
      assert.ok(request, url);
      assert.equal(normalizePath(url), request.path, url);
      assert.equal(request.keys.length, 1, url);
      assert.equal(request.keys[0]!.slice(0, -32), normalizePath(url), `${url}: key ${request.keys[0]}`);
    }
  });

  it('differ where an encoded character means something else to a router or would break a key (deliberate)', () => {
    for (const [url, flaskPath, ours, why] of DIFFERS) {
      assert.equal(python().get(url)?.path, flaskPath, `Flask's path for ${url}`);
      assert.equal(normalizePath(url), ours, `${url}: ${why}`);
    }
  });
});

describe('normalizePath: one form per meaning', () => {
  it('decodes unreserved characters and printable UTF-8, in either hex case', () => {
    assert.equal(normalizePath('/%41%5a%61%7A%30%39%2D%2E%5F%7E'), '/AZaz09-._~');
    assert.equal(normalizePath('/caf%C3%A9'), '/café');
    assert.equal(normalizePath('/caf%c3%a9'), '/café');
    assert.equal(normalizePath('/caf%C3%a9'), '/café');
    assert.equal(normalizePath('/%F0%9F%98%80%E4%B8%AD'), '/😀中');
  });

  it('keeps reserved, space, %25 and invalid UTF-8 percent-encoded, with uppercase hex', () => {
    assert.equal(normalizePath('/a%2fb%3f%23%25%20%3a%40%21%24%26%27%28%29%2a%2b%2c%3b%3d'), '/a%2Fb%3F%23%25%20%3A%40%21%24%26%27%28%29%2A%2B%2C%3B%3D');
    assert.equal(normalizePath('/%ff%c3%28%e0%80%af%ed%a0%80%f4%90%80%80%f0%9f%98'), '/%FF%C3%28%E0%80%AF%ED%A0%80%F4%90%80%80%F0%9F%98');
    assert.equal(normalizePath('/%c3%a9%c3'), '/é%C3');
    assert.equal(normalizePath('/%C3é'), '/%C3é', 'a raw character does not complete an escaped sequence');
    assert.equal(normalizePath('/%00%1f%7f%c2%85%e2%80%a8%ef%bb%bf%ee%80%80%f3%a0%80%81'), '/%00%1F%7F%C2%85%E2%80%A8%EF%BB%BF%EE%80%80%F3%A0%80%81');
  });

  it('percent-encodes ASCII not allowed raw in a path, so raw and encoded forms agree', () => {
    assert.equal(normalizePath('/a"<>\\^`{|}[]b'), '/a%22%3C%3E%5C%5E%60%7B%7C%7D%5B%5Db');
    assert.equal(normalizePath('/a"<>\\^`{|}[]b'), normalizePath('/a%22%3c%3E%5c%5E%60%7b%7C%7d%5B%5db'));
    assert.equal(normalizePath('/a b\tc\x00\x7f'), '/a%20b%09c%00%7F');
  });

  it('takes non-ASCII characters as characters: printable ones kept, the rest as UTF-8 escapes', () => {
    assert.equal(normalizePath('/é'), normalizePath('/%C3%A9'));
    assert.equal(normalizePath('/a\u200bb\u00a0c\u2028'), '/a%E2%80%8Bb%C2%A0c%E2%80%A8');
    assert.equal(normalizePath('/\u{1f600}'), normalizePath('/%F0%9F%98%80'));
  });

  it('leaves dot segments, // and sub-delims alone', () => {
    for (const path of ['/a/./b', '/a/../b', '//a//b/', "/a;b=c,d!$&'()*+", '/a:b@c']) assert.equal(normalizePath(path), path);
  });

  it('returns the common case unchanged', () => {
    for (const path of ['', '/', '/users/7', '/api/v1/items-list_x.json', '/~user/a:b@c']) assert.equal(normalizePath(path), path);
  });
});

// Units of meaning, each with every spelling that must give one form. No unit's spelling can
// join its neighbour's into another unit (no lone continuation byte follows a lead byte).
const UNITS: string[][] = [
  ['a', '%61'], ['A', '%41'], ['~', '%7E', '%7e'], ['-', '%2D'], ['/'], ['%2F', '%2f'], ['%3F', '%3f'], ['%23'], ['%25'],
  [' ', '%20'], ['"', '%22'], ['\\', '%5C', '%5c'], ['{', '%7B'], ['\x00', '%00'], ['\x7f', '%7F'], [':'], ['%3A', '%3a'],
  ["'"], ['%27'], ['+'], ['%2B'], ['é', '%C3%A9', '%c3%a9'], ['😀', '%F0%9F%98%80'], ['\u200b', '%E2%80%8B', '%e2%80%8b'],
  ['\u00a0', '%C2%A0'], ['%FF', '%ff'], ['%C3'], ['%E2%80'], ['%C0%AF'], ['\ue000', '%EE%80%80'], ['.', '%2E', '%2e'],
];

describe('normalizePath: random paths of random spellings (seeded)', () => {
  const next = seededRandom(8675309);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const cases = Array.from({ length: 2000 }, () => {
    const units = Array.from({ length: 1 + Math.floor(next() * 6) }, () => Math.floor(next() * UNITS.length));
    return { units, spellings: [units.map((u) => pick(UNITS[u]!)).join(''), units.map((u) => pick(UNITS[u]!)).join('')] };
  });

  it('two spellings of one meaning give one form; two meanings never share one', () => {
    const meaningOf = new Map<string, string>();
    for (const { units, spellings } of cases) {
      const meaning = units.join('|');
      const forms = spellings.map((spelling) => normalizePath(spelling));
      assert.equal(forms[0], forms[1], `${JSON.stringify(spellings)}`);
      const seen = meaningOf.get(forms[0]!);
      if (seen !== undefined) assert.equal(seen, meaning, `${JSON.stringify(forms[0])} for two meanings`);
      meaningOf.set(forms[0]!, meaning);
    }
    assert.ok(meaningOf.size > 1000, `only ${meaningOf.size} distinct forms`);
  });

  it('is idempotent and never holds ?, #, whitespace or a control character', () => {
    for (const { spellings } of cases) {
      const form = normalizePath(spellings[0]!);
      assert.equal(normalizePath(form), form, JSON.stringify(form));
      assert.doesNotMatch(form, /[?#\s\p{Cc}\p{Cf}\p{Zs}\p{Zl}\p{Zp}]/u, JSON.stringify(form));
    }
  });
});

describe('normalizePath: what node:http delivers in req.url', () => {
  let server: Server;
  const urls: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      urls.push(req.url ?? '');
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends a raw request line and returns the status code. */
  function send(target: Buffer): Promise<number> {
    const { port } = server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end(Buffer.concat([Buffer.from('GET '), target, Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]));
      });
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('end', () => resolve(Number(answer.slice(9, 12))));
      socket.on('error', reject);
    });
  }

  it('refuses raw UTF-8, latin1, space, tab, controls and DEL in the request line (400), so req.url is ASCII', async () => {
    for (const target of [Buffer.from('/café', 'utf8'), Buffer.from('/caf\xe9', 'latin1'), Buffer.from('/a b'), Buffer.from('/a\tb'), Buffer.from('/a\x01b'), Buffer.from('/a\x7fb')]) {
      assert.equal(await send(target), 400, JSON.stringify(target.toString('latin1')));
    }
  });

  it('delivers raw " < > \\ ^ ` { | } and #: the first normalize as their escapes, # is refused', async () => {
    urls.length = 0;
    assert.equal(await send(Buffer.from('/a"<>\\^`{|}b')), 200);
    assert.equal(await send(Buffer.from('/a#b')), 200);
    assert.deepEqual(urls, ['/a"<>\\^`{|}b', '/a#b']);
    assert.equal(normalizePath(urls[0]!), normalizePath('/a%22%3C%3E%5C%5E%60%7B%7C%7D%62'));
    assert.throws(() => normalizePath(urls[1]!), invalid);
  });
});

describe('normalizePath: bounds and refusals (InvalidArgumentError: the caller does not cache)', () => {
  it(`takes ${MAX_PATH_LENGTH} characters and refuses one more`, () => {
    const longest = '/' + 'a'.repeat(MAX_PATH_LENGTH - 1);
    assert.equal(normalizePath(longest), longest);
    assert.throws(() => normalizePath(`${longest}a`), invalid);
    assert.throws(() => normalizePath('/%41'.repeat(MAX_PATH_LENGTH)), (error: unknown) => error instanceof InvalidArgumentError && error.code === 'E_INVALID_ARGUMENT');
  });

  it('refuses a malformed %, a raw ? or #, and a lone surrogate, keeping the path out of the message', () => {
    for (const path of ['/a%', '/a%4', '/a%zz', '/a%4g', '/%C3%A', '/a?b', '/a#b', '/a\ud800', '/a\udc00b']) {
      assert.throws(() => normalizePath(`/secret${path}`), (error: unknown) => error instanceof InvalidArgumentError && !error.message.includes('secret'), JSON.stringify(path));
    }
  });
});
