import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Cache, MemoryBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import { MemcachedStore } from '../src/index.js';
import { varyOnCookie } from '../src/vary-cookie.js';
import { startExpressApp } from './helpers.js';

const quiet = { warn: () => {} };

const stores: Array<[string, (t: TestContext) => Promise<MemcachedStore>]> = [
  ['memory', async () => new MemcachedStore({ cache: new Cache({ backend: new MemoryBackend(), logger: quiet }) }, { logger: quiet })],
  [
    'memcached',
    async (t) => {
      const server = await MemcachedServer.start();
      t.after(() => server.stop());
      return new MemcachedStore({ servers: server.address, timeout: 300 }, { logger: quiet });
    },
  ],
];

for (const [name, makeStore] of stores) {
  describe(`express-session over real HTTP, store on ${name}`, () => {
    it('a response to a request whose session was loaded from the store says Vary: Cookie; a guest response does not', async (t) => {
      const store = await makeStore(t);
      t.after(() => store.close());
      const app = await startExpressApp(store);
      t.after(() => app.close());

      const guest = await fetch(`${app.url}/me`);
      assert.equal(((await guest.json()) as { user: null }).user, null);
      assert.equal(guest.headers.get('vary'), null, 'a guest page stays shareable');

      const login = await fetch(`${app.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'alice' }) });
      const cookie = login.headers.getSetCookie()[0]?.split(';')[0];
      assert.ok(cookie, 'logging in sets the session cookie');

      const signedIn = await fetch(`${app.url}/me`, { headers: { cookie } });
      assert.equal(((await signedIn.json()) as { user: string }).user, 'alice');
      assert.equal(signedIn.headers.get('set-cookie'), null, 'rolling: false (the default) sends no cookie on this page');
      assert.equal(signedIn.headers.get('vary'), 'Cookie');
    });
  });
}

describe('varyOnCookie', () => {
  it('adds Cookie once, keeps what Vary named, and leaves Vary: * alone', () => {
    const response = (vary?: string) => {
      const headers = new Map<string, string>(vary === undefined ? [] : [['vary', vary]]);
      return { headers, getHeader: (key: string) => headers.get(key), setHeader: (key: string, value: string) => headers.set(key, value) };
    };
    for (const [before, after] of [
      [undefined, 'Cookie'],
      ['Accept-Encoding', 'Accept-Encoding, Cookie'],
      ['accept-encoding, cookie', 'accept-encoding, cookie'],
      ['*', '*'],
    ] as const) {
      const target = response(before);
      varyOnCookie(target);
      varyOnCookie(target);
      assert.equal(target.headers.get('vary'), after);
    }
  });
});
