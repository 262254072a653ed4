import type { Cache, CacheBackendEvent, CacheRecomputeEvent } from '@larder/core';
import { SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';

/** Options of `traceCache`. */
export interface TraceCacheOptions {
  /** The tracer (default: `trace.getTracer('@larder/core')`, a no-op until an SDK is registered). */
  tracer?: Tracer;
  /** The `larder.cache` attribute of its spans (default `'default'`). */
  name?: string;
}

/**
 * Spans for `cache`'s backend calls and recomputes through @opentelemetry/api. Each span is made
 * when the call ends, with its real start time, inside the caller's active context (so it sits
 * under the request's span). Backend spans follow the database semantic conventions
 * (`db.system.name` and `db.system` = `memcached`, `db.operation.name`); a failure sets the status
 * to ERROR. No key is recorded. Returns a function that stops it.
 */
export function traceCache(cache: Cache, options: TraceCacheOptions = {}): () => void {
  const tracer = options.tracer ?? trace.getTracer('@larder/core');
  const name = options.name ?? 'default';
  // The memory backend is no database: its calls are named for Larder, not for a db.system of the conventions.
  const system = cache.backend.name.startsWith('memcached') ? 'memcached' : 'larder.memory';
  const onBackend = (event: CacheBackendEvent) => {
    const end = performance.timeOrigin + performance.now();
    const span = tracer.startSpan(`${event.operation} ${system}`, {
      kind: SpanKind.CLIENT,
      startTime: end - event.ms,
      attributes: { 'db.system.name': system, 'db.system': system, 'db.operation.name': event.operation, 'larder.cache': name },
    });
    if (!event.ok) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(end);
  };
  const onRecompute = (event: CacheRecomputeEvent) => {
    const end = performance.timeOrigin + performance.now();
    const span = tracer.startSpan('larder recompute', { kind: SpanKind.INTERNAL, startTime: end - event.ms, attributes: { 'larder.cache': name } });
    if (!event.ok) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(end);
  };
  const off = [cache.on('backend', onBackend), cache.on('recompute', onRecompute)];
  return () => {
    for (const stop of off) stop();
  };
}
