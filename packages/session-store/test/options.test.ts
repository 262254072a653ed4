import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import expressSession from 'express-session';
import { DEFAULT_PREFIX, DEFAULT_TTL, MemcachedStore, withExpressSession, type MemcachedStoreOptions, type MemcachedStoreSource } from '../src/index.js';
import { captureLogger, CookieClient, EXPRESS_COOKIE, randomSessionId, signedExpressCookie, startExpressApp } from './helpers.js';

const quiet = { warn: () => {} };
const cache = new Cache({ logger: quiet });

describe('MemcachedStore options', () => {
  it('defaults: prefix "sess:", ttl one day', () => {
    const store = new MemcachedStore({ cache });
    assert.equal(store.prefix, DEFAULT_PREFIX);
    assert.equal(store.prefix, 'sess:');
    assert.equal(store.ttl, DEFAULT_TTL);
    assert.equal(store.ttl, 86_400);
  });

  it('with userOf, a prefix or keyPrefix that would make the user counter key hashed or ambiguous is refused (every signed-in session would read as none)', () => {
    const userOf = (session: { readonly [key: string]: unknown }) => session.user as string | undefined;
    const refused = (pattern: RegExp) => (error: unknown) => (error as { code?: string }).code === 'E_INVALID_OPTION' && pattern.test((error as Error).message);
    assert.throws(() => new MemcachedStore({ cache }, { userOf, prefix: 'my sess:' }), refused(/^Invalid option "prefix": with userOf, .*must be printable ASCII without spaces/));
    assert.throws(() => new MemcachedStore({ cache }, { userOf, prefix: 'sessões:' }), refused(/printable ASCII/));
    assert.throws(() => new MemcachedStore({ cache }, { userOf, prefix: 'x'.repeat(200) }), refused(/is 259 characters, too long for memcached/));
    assert.throws(() => new MemcachedStore({ cache: new Cache({ logger: quiet, keyPrefix: 'larder-tag:x:' }) }, { userOf }), refused(/keyPrefix must not contain "larder-tag:"/));
    assert.throws(() => new MemcachedStore({ cache }, { userOf, prefix: 'a:sha256:' }), refused(/must not contain :sha256:/));
    assert.equal(new MemcachedStore({ cache }, { prefix: 'my sess:' }).prefix, 'my sess:', 'without userOf any prefix is fine');
    assert.equal(new MemcachedStore({ cache: new Cache({ logger: quiet, keyPrefix: 'shop:' }) }, { userOf, prefix: 'sess:' }).prefix, 'sess:');
  });

  it('ttl takes seconds or a duration string; 0 means no expiry', () => {
    assert.equal(new MemcachedStore({ cache }, { ttl: '1d' }).ttl, 86_400);
    assert.equal(new MemcachedStore({ cache }, { ttl: '30m' }).ttl, 1800);
    assert.equal(new MemcachedStore({ cache }, { ttl: 0 }).ttl, 0);
  });

  const badOptions: Array<[string, unknown, RegExp]> = [
    ['a number as prefix', { prefix: 5 }, /"prefix"/],
    ['a negative ttl', { ttl: -1 }, /"ttl"/],
    ['a ttl that is not a duration', { ttl: 'soon' }, /"ttl"/],
    ['a logger without warn', { logger: {} }, /"logger"/],
    ['an unknown option', { prefx: 'x:' }, /"prefx".*known: prefix, ttl, logger/],
    ['options that are not an object', 'sess:', /"options"/],
  ];
  for (const [what, options, message] of badOptions) {
    it(`rejects ${what} with InvalidOptionError naming it`, () => {
      assert.throws(() => new MemcachedStore({ cache }, options as MemcachedStoreOptions), { name: 'InvalidOptionError', code: 'E_INVALID_OPTION', message });
    });
  }

  const badSources: Array<[string, unknown, RegExp]> = [
    ['null', null, /"source"/],
    ['an empty object', {}, /"source".*exactly one/],
    ['both cache and servers', { cache, servers: '127.0.0.1:11211' }, /"servers".*cannot be combined with "cache"/],
    ['a cache that is not a Cache', { cache: {} }, /"cache"/],
    ['an empty server list', { servers: '' }, /servers/],
    ['a username without password', { servers: '127.0.0.1:11211', username: 'u' }, /"password"/],
    ['a misspelt key', { servers: '127.0.0.1:11211', pasword: 'p' }, /"pasword"/],
    ['fromEnv false', { fromEnv: false }, /"fromEnv"/],
    ['a bad timeout', { servers: '127.0.0.1:11211', timeout: -1 }, /timeout/],
  ];
  for (const [what, source, message] of badSources) {
    it(`rejects a source that is ${what}`, () => {
      assert.throws(() => new MemcachedStore(source as MemcachedStoreSource, { logger: quiet }), { code: 'E_INVALID_OPTION', message });
    });
  }

  it('never closes a Cache it was given', async () => {
    const own = new Cache({ logger: quiet });
    const store = new MemcachedStore({ cache: own }, { logger: quiet });
    await store.close();
    await store.close();
    assert.equal(await own.set('still', 'open'), true);
    assert.equal(await own.get('still'), 'open');
  });

  it('closes the Cache it built from a server list', async () => {
    const store = new MemcachedStore({ servers: '127.0.0.1:1' }, { logger: quiet });
    await store.close();
    await assert.rejects(store.cache.get('x'), { code: 'E_CLOSED' });
  });

  it('builds its cache from the environment, saying its choice through the logger', async (t) => {
    const server = await MemcachedServer.start();
    t.after(() => server.stop());

    const memory = captureLogger();
    const fallback = new MemcachedStore({ fromEnv: true, env: {} }, { logger: memory.logger });
    assert.equal(fallback.cache.backend.name, 'memory');
    assert.match(memory.lines.join('\n'), /in-memory backend/);
    await fallback.close();

    const plain = new MemcachedStore({ fromEnv: true, env: { MEMCACHED_SERVERS: server.address } }, { logger: quiet });
    assert.equal(plain.cache.backend.name, `memcached(${server.address})`);
    const id = randomSessionId();
    await plain.setSession(id, { cookie: { maxAge: 60_000 } });
    assert.notEqual(await plain.getSession(id), null);
    await plain.close();

    const prefixed = new MemcachedStore({ fromEnv: 'sessions', env: { SESSIONS_MEMCACHED_SERVERS: server.address, MEMCACHED_SERVERS: '127.0.0.1:1' } }, { logger: quiet });
    assert.equal(prefixed.cache.backend.name, `memcached(${server.address})`);
    assert.notEqual(await prefixed.getSession(id), null);
    await prefixed.close();
  });
});

describe('withExpressSession', () => {
  it('gives the store express-session’s createSession, load and regenerate, and returns the same store', () => {
    const store = new MemcachedStore({ cache }, { logger: quiet });
    const bridged = withExpressSession(store, expressSession);
    assert.equal(bridged, store);
    assert.equal(bridged.createSession.name, 'createSessionVaryingOnCookie', 'createSession is wrapped to add Vary: Cookie (vary-cookie.test.ts)');
    assert.equal(bridged.load, expressSession.Store.prototype.load);
    assert.equal(bridged.regenerate, expressSession.Store.prototype.regenerate);
  });

  it('rejects something that is not the express-session module', () => {
    const store = new MemcachedStore({ cache }, { logger: quiet });
    assert.throws(() => withExpressSession(store, {} as typeof expressSession), { code: 'E_INVALID_OPTION', message: /"expressSession"/ });
  });

  it('without it, express-session answers 500 to a request whose session is stored (why the helper exists)', async (t) => {
    const store = new MemcachedStore({ cache: new Cache({ logger: quiet }) }, { logger: quiet });
    const id = randomSessionId();
    await store.setSession(id, { cookie: { maxAge: 60_000 } });
    const app = await startExpressApp(store, { bridge: false });
    t.after(() => app.close());
    const client = new CookieClient();
    client.setCookie(EXPRESS_COOKIE, signedExpressCookie(id));
    assert.equal((await client.request(`${app.url}/me`)).status, 500);
    assert.match(app.errors[0]?.message ?? '', /createSession is not a function/);
  });
});
