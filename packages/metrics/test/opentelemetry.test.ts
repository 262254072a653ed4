import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cache, MemcachedBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { traceCache } from '../src/opentelemetry.js';

const quiet = { warn() {} };

describe('OpenTelemetry spans of a Cache (a real SDK, a real memcached)', () => {
  let server: MemcachedServer;
  before(async () => {
    server = await MemcachedServer.start();
  });
  after(() => server.stop());

  it('backend calls and recomputes are spans with the database conventions, under the caller’s span; failures are errors; no key', async () => {
    // As an SDK does: the active context follows async calls.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('test');
    const cache = new Cache({ backend: new MemcachedBackend({ servers: server.address }), logger: quiet });
    const down = new Cache({ backend: new MemcachedBackend({ servers: '127.0.0.1:1', timeout: 200 }), logger: quiet });
    const stops = [traceCache(cache, { tracer, name: 'app' }), traceCache(down, { tracer, name: 'down' })];
    const request = tracer.startSpan('GET /products/:id');
    await context.with(trace.setSpan(context.active(), request), async () => {
      await cache.getOrSet('product:secret-7', async () => 'page');
      await cache.get('product:secret-7');
      await down.get('k');
    });
    request.end();
    for (const stop of stops) stop();
    await cache.get('after-stop');
    const spans = exporter.getFinishedSpans().filter((span) => span.name !== 'GET /products/:id');
    assert.deepEqual(spans.map((span) => span.name).sort(), ['get memcached', 'get memcached', 'get memcached', 'larder recompute', 'set memcached']);
    const get = spans.find((span) => span.name === 'get memcached' && span.attributes['larder.cache'] === 'app')!;
    assert.equal(get.attributes['db.system.name'], 'memcached');
    assert.equal(get.attributes['db.operation.name'], 'get');
    assert.equal(get.parentSpanContext?.spanId, request.spanContext().spanId, 'under the request’s span');
    const failed = spans.find((span) => span.attributes['larder.cache'] === 'down')!;
    assert.equal(failed.status.code, SpanStatusCode.ERROR);
    assert.ok(!JSON.stringify(spans.map((span) => span.attributes)).includes('secret-7'), 'no key in any attribute');
    await Promise.all([cache.close(), down.close(), provider.shutdown()]);
    context.disable();
  });
});
