import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache, MemcachedBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import { buildApp } from '../src/app.js';

describe('the session store is down at login', () => {
  it('the visitor gets a friendly 503 page that says so, never a session id', async (t) => {
    const server = await MemcachedServer.start();
    const cache = new Cache({ backend: new MemcachedBackend({ servers: server.address, timeout: 300 }), logger: { warn() {} } });
    const app = await buildApp({ cache, logger: false, sessionSecret: 'a session secret of at least thirty-two characters' });
    t.after(() => app.close());
    await server.stop();
    const login = await app.inject({ method: 'POST', url: '/login', payload: 'name=ada', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(login.statusCode, 503);
    assert.equal(login.headers['retry-after'], '30');
    assert.match(String(login.headers['content-type']), /text\/html/);
    assert.match(login.body, /cannot reach our session store/);
    assert.doesNotMatch(login.body, /E_SESSION|sess:|127\.0\.0\.1/);
    const sessionCookie = login.cookies.find((cookie) => cookie.name === 'sessionId');
    if (sessionCookie) assert.ok(!login.body.includes(decodeURIComponent(sessionCookie.value).split('.')[0]!));
  });
});
