import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cache, MemcachedBackend } from '@larder/core';
import larder from '@larder/fastify-plugin';
import { MemcachedStore } from '@larder/session-store';
import { MemcachedServer } from '@larder/testing';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { larderMetrics } from '../src/prometheus.js';

const quiet = { warn() {} };

/** The value of one series in prom-client's text format, or undefined when it is not there. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = match[2]!.split(',');
    if (wanted.every((pair) => have.includes(pair)) && have.length === wanted.length) return Number(match[3]);
  }
  return undefined;
}

describe('Prometheus metrics after known traffic, scraped in prom-client’s text format', () => {
  let server: MemcachedServer;
  const closing: Array<() => Promise<void>> = [];
  before(async () => {
    server = await MemcachedServer.start();
  });
  after(async () => {
    for (const close of closing.reverse()) await close();
    await server.stop();
  });

  it('counts reads, writes, durations, servers, routes and sessions, and nothing per key or session id', async () => {
    const registry = new Registry();
    const metrics = larderMetrics({ registry });
    const cache = new Cache({ backend: new MemcachedBackend({ servers: server.address }), logger: quiet });
    closing.push(() => cache.close());
    metrics.observeCache(cache, { name: 'app' });

    await cache.set('k', 'v');
    for (let i = 0; i < 3; i++) assert.equal(await cache.get('k'), 'v');
    for (let i = 0; i < 2; i++) assert.equal(await cache.get('absent'), undefined);
    assert.equal(await cache.getOrSet('computed', async () => 'x'), 'x');
    await cache.delete('k');

    const down = new Cache({ backend: new MemcachedBackend({ servers: '127.0.0.1:1', timeout: 200 }), logger: quiet });
    closing.push(() => down.close());
    metrics.observeCache(down, { name: 'down' });
    assert.equal(await down.get('k'), undefined);

    const app = Fastify();
    await app.register(larder, { cache: new Cache({ logger: quiet }) });
    app.get('/products/:id', { config: { cache: { ttl: 60 } } }, async (request) => ({ id: (request.params as { id: string }).id }));
    await app.ready();
    closing.push(() => app.close());
    metrics.observeViews(app, { name: 'views' });
    for (const id of ['7', '7', '7', '8']) await app.inject(`/products/${id}`);
    await app.inject({ url: '/products/7', headers: { authorization: 'Bearer t' } });

    const store = new MemcachedStore({ cache }, { logger: quiet });
    metrics.observeSessions(store, { name: 'sessions' });
    await store.setSession('secret-session-id', { cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) } } as never);
    await store.getSession('secret-session-id');
    await store.getSession('another-secret-id');

    const text = await registry.metrics();
    const app_ = { cache: 'app' };
    // getOrSet read once (a miss) and stored once; the session write and reads are cache writes and reads too.
    assert.equal(sample(text, 'larder_cache_hits_total', app_), 4);
    assert.equal(sample(text, 'larder_cache_misses_total', app_), 4);
    assert.equal(sample(text, 'larder_cache_sets_total', app_), 3);
    assert.equal(sample(text, 'larder_cache_deletes_total', app_), 1);
    assert.equal(sample(text, 'larder_cache_hit_ratio', app_), 0.5);
    assert.equal(sample(text, 'larder_backend_duration_seconds_count', { cache: 'app', operation: 'get', outcome: 'ok' }), 8);
    // The new session is written with add (a session is created only where none is: see the session store's README).
    assert.equal(sample(text, 'larder_backend_duration_seconds_count', { cache: 'app', operation: 'set', outcome: 'ok' }), 2);
    assert.equal(sample(text, 'larder_backend_duration_seconds_count', { cache: 'app', operation: 'add', outcome: 'ok' }), 1);
    assert.equal(sample(text, 'larder_recompute_duration_seconds_count', { cache: 'app', outcome: 'ok' }), 1);
    assert.equal(sample(text, 'larder_memcached_server_up', { cache: 'app', server: server.address }), 1);
    assert.equal(sample(text, 'larder_cache_errors_total', { cache: 'down', operation: 'get' }), 1);
    assert.equal(sample(text, 'larder_backend_duration_seconds_count', { cache: 'down', operation: 'get', outcome: 'error' }), 1);
    const route = { cache: 'views', route: 'GET /products/:id' };
    assert.equal(sample(text, 'larder_view_requests_total', { ...route, result: 'miss' }), 2);
    assert.equal(sample(text, 'larder_view_requests_total', { ...route, result: 'hit' }), 2);
    assert.equal(sample(text, 'larder_view_requests_total', { ...route, result: 'bypass' }), 1);
    assert.equal(sample(text, 'larder_view_requests_total', { ...route, result: 'stale' }), 0);
    assert.equal(sample(text, 'larder_session_reads_total', { store: 'sessions' }), 2);
    assert.equal(sample(text, 'larder_session_writes_total', { store: 'sessions' }), 1);
    assert.equal(sample(text, 'larder_session_failures_total', { store: 'sessions', operation: 'read' }), 0);
    assert.ok(!text.includes('secret-session-id') && !text.includes('another-secret-id') && !text.includes('/products/7'), 'no session id, no key, no raw URL');

    // Counters only grow: a second scrape after more traffic adds to them.
    await cache.get('absent');
    const again = await registry.metrics();
    assert.equal(sample(again, 'larder_cache_misses_total', app_), 5);
    assert.equal(sample(again, 'larder_cache_hits_total', app_), 4);
  });

  it('a near cache’s size and hits, and a name observed twice is refused', async () => {
    const registry = new Registry();
    const metrics = larderMetrics({ registry });
    const cache = new Cache({ backend: new MemcachedBackend({ servers: server.address }), near: { ttl: '10m' }, logger: quiet });
    closing.push(() => cache.close());
    const stop = metrics.observeCache(cache, { name: 'near' });
    await cache.set('n', 'value');
    for (let i = 0; i < 4; i++) await cache.get('n');
    const text = await registry.metrics();
    assert.equal(sample(text, 'larder_cache_near_hits_total', { cache: 'near' }), 3);
    assert.equal(sample(text, 'larder_cache_near_misses_total', { cache: 'near' }), 1);
    assert.equal(sample(text, 'larder_near_cache_items', { cache: 'near' }), 1);
    assert.equal(sample(text, 'larder_near_cache_hit_ratio', { cache: 'near' }), 0.75);
    assert.ok((sample(text, 'larder_near_cache_bytes', { cache: 'near' }) ?? 0) > 0);
    assert.throws(() => metrics.observeCache(cache, { name: 'near' }), { code: 'E_INVALID_ARGUMENT' });
    stop();
    assert.equal(sample(await registry.metrics(), 'larder_near_cache_items', { cache: 'near' }), undefined, 'stopped: its series are gone');
    metrics.observeCache(cache, { name: 'near' });
  });
});
