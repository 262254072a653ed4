import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSession, encodeSession, redactSessionId, sessionLifetime, type SessionCookieData } from '../src/index.js';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');

describe('sessionLifetime', () => {
  const cases: Array<[string, SessionCookieData | null | undefined, ReturnType<typeof sessionLifetime>]> = [
    ['expires as a Date', { expires: new Date(NOW + 3_600_000) }, { expired: false, ttl: 3600 }],
    ['expires as an ISO string', { expires: new Date(NOW + 60 * 86_400_000).toISOString() }, { expired: false, ttl: 60 * 86_400 }],
    ['expires wins over maxAge', { expires: new Date(NOW + 10_000), maxAge: 99_000 }, { expired: false, ttl: 10 }],
    ['maxAge in milliseconds', { maxAge: 90_000 }, { expired: false, ttl: 90 }],
    ['part of a second rounds up', { maxAge: 1 }, { expired: false, ttl: 1 }],
    ['no expiry: the fallback', { expires: null, originalMaxAge: null }, { expired: false, ttl: 500 }],
    ['originalMaxAge alone is not a remaining time', { originalMaxAge: 90_000 }, { expired: false, ttl: 500 }],
    ['an unparseable date: the fallback', { expires: 'not a date' }, { expired: false, ttl: 500 }],
    ["express-session's expires: false", { expires: false as unknown as null }, { expired: false, ttl: 500 }],
    ['no cookie: the fallback', undefined, { expired: false, ttl: 500 }],
    ['expires now', { expires: new Date(NOW) }, { expired: true }],
    ['expires in the past', { expires: new Date(NOW - 1).toISOString() }, { expired: true }],
    ['maxAge zero', { maxAge: 0 }, { expired: true }],
  ];
  for (const [what, cookie, expected] of cases) {
    it(what, () => assert.deepEqual(sessionLifetime(cookie, 500, NOW), expected));
  }
});

describe('session codec', () => {
  it('encodes the enumerable data, cookie via toJSON, dates as ISO strings', () => {
    class Cookie {
      _expires = new Date(NOW);
      get expires(): Date {
        return this._expires;
      }
      toJSON() {
        return { expires: this._expires, path: '/' };
      }
    }
    const session = Object.assign(Object.create({ hidden: 'on the prototype' }) as object, { cookie: new Cookie(), user: 'ada' });
    Object.defineProperty(session, 'id', { value: 'secret-id', enumerable: false });
    assert.equal(encodeSession(session as { cookie: Cookie }), '{"cookie":{"expires":"2030-01-01T00:00:00.000Z","path":"/"},"user":"ada"}');
  });

  it('round-trips: decode(encode(session)) is the JSON data', () => {
    const decoded = decodeSession(encodeSession({ cookie: { expires: new Date(NOW) }, user: 'ada' } as { cookie: SessionCookieData }));
    assert.deepEqual(decoded, { ok: true, session: { cookie: { expires: '2030-01-01T00:00:00.000Z' }, user: 'ada' } });
  });

  it('accepts an already decoded plain object with a cookie object', () => {
    assert.deepEqual(decodeSession({ cookie: {}, n: 1 }), { ok: true, session: { cookie: {}, n: 1 } });
  });

  const notSessions: Array<[unknown, RegExp]> = [
    ['{"cookie":{', /not JSON/],
    ['hello', /not JSON/],
    ['[1,2]', /JSON an array/],
    ['42', /JSON a number/],
    ['{"user":"ada"}', /without a cookie/],
    ['{"cookie":null}', /without a cookie/],
    ['{"cookie":[]}', /without a cookie/],
    [42, /a number/],
    [Buffer.from('bytes'), /bytes/],
    [new Uint8Array(2), /bytes/],
    [null, /null/],
    [new Date(), /not plain data/],
  ];
  for (const [value, reason] of notSessions) {
    it(`${JSON.stringify(value)} is not a session`, () => {
      const decoded = decodeSession(value);
      assert.equal(decoded.ok, false);
      assert.match((decoded as { reason: string }).reason, reason);
    });
  }

  it('reasons never quote the value', () => {
    const decoded = decodeSession('secret-looking-value');
    assert.ok(!(decoded as { reason: string }).reason.includes('secret'));
  });
});

describe('redactSessionId', () => {
  it('shows at most 6 characters and never the whole id', () => {
    const id = 'AbCdEfGhIjKlMnOpQrStUvWxYz012345';
    assert.equal(redactSessionId(id), 'AbCdEf…');
    assert.equal(redactSessionId('abcdefgh'), 'ab…');
    assert.equal(redactSessionId('abc'), '…');
    assert.equal(redactSessionId(''), '…');
  });
});
