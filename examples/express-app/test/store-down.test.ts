import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { MemcachedServer } from '@larder/testing';
import { buildApp } from '../src/app.js';

describe('the session store is down at login', () => {
  it('the visitor gets a friendly 503 page that says so, never a session id', async (t) => {
    const server = await MemcachedServer.start();
    const example = buildApp({ env: { EXAMPLE_MEMCACHED_SERVERS: server.address }, logger: { warn() {} }, sessionSecret: 'a session secret of at least thirty-two characters' });
    const http = example.app.listen(0, '127.0.0.1');
    await once(http, 'listening');
    t.after(async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
      await example.close();
    });
    await server.stop();
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/login`;
    const login = await fetch(url, { method: 'POST', body: 'name=ada', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    const body = await login.text();
    assert.equal(login.status, 503);
    assert.equal(login.headers.get('retry-after'), '30');
    assert.match(body, /cannot reach our session store/);
    assert.doesNotMatch(body, /E_SESSION|sess:|127\.0\.0\.1/);
    const cookie = login.headers.get('set-cookie');
    if (cookie) assert.ok(!body.includes(decodeURIComponent(cookie.split(';')[0]!.split('=')[1]!).slice(2).split('.')[0]!));
  });
});
