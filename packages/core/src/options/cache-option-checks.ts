import { InvalidOptionError } from '../errors.js';
import type { CacheLogger } from '../failure-log.js';
import { FlagSerializer, type Serializer } from '../values/serializer.js';
import type { Backend } from '../types/backend.js';

// The methods a Cache calls; an object missing one is not a backend, whatever its type says.
const BACKEND_METHODS = ['connect', 'get', 'getMany', 'set', 'setMany', 'add', 'replace', 'delete', 'deleteMany', 'incr', 'decr', 'touch', 'gets', 'cas', 'flush', 'close'] as const;

/** The options object itself: undefined (all defaults) or a plain object. */
export function checkOptionsObject(options: unknown, owner: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionError('options', `${owner} options must be an object, got ${describe(options)}`);
  }
}

/** A Backend: every method the Cache calls, and capabilities with a maxValueSize. */
export function checkBackend(backend: unknown): Backend | undefined {
  if (backend === undefined) return undefined;
  const candidate = backend as Partial<Record<string, unknown>> | null;
  if (candidate === null || typeof candidate !== 'object') throw new InvalidOptionError('backend', `must be a Backend object, got ${describe(backend)}`);
  const missing = BACKEND_METHODS.filter((name) => typeof candidate[name] !== 'function');
  if (missing.length > 0) throw new InvalidOptionError('backend', `is not a Backend: no ${missing.join(', ')} method`);
  const capabilities = candidate.capabilities as { maxValueSize?: unknown } | undefined;
  if (typeof capabilities?.maxValueSize !== 'number') throw new InvalidOptionError('backend', 'is not a Backend: no capabilities.maxValueSize');
  return backend as Backend;
}

/** A Serializer: encode and decode functions. */
export function checkSerializer(serializer: unknown): Serializer | undefined {
  if (serializer === undefined) return undefined;
  const candidate = serializer as Partial<Record<string, unknown>> | null;
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.encode !== 'function' || typeof candidate.decode !== 'function') {
    throw new InvalidOptionError('serializer', 'must be an object with encode(value) and decode(key, item) methods');
  }
  return serializer as Serializer;
}

/**
 * The serializer a Cache over `backend` uses: the one given, else the default one, compressing
 * above `compressThreshold` (default 16 KiB on a shared backend; never on a backend in this
 * process, whose values are read as they were stored: packing them would unpack every read).
 */
export function serializerFor(backend: Backend, serializer: unknown, compressThreshold: number | undefined): Serializer {
  return (
    checkSerializer(serializer) ??
    new FlagSerializer({ maxValueSize: backend.capabilities.maxValueSize, ...(compressThreshold === undefined ? (backend.capabilities.shared ? {} : { compressThreshold: 0 }) : { compressThreshold }) })
  );
}

/** A logger with a `warn(message)` method. */
export function checkLogger(logger: unknown): CacheLogger | undefined {
  if (logger === undefined) return undefined;
  if (logger === null || typeof (logger as Partial<CacheLogger>).warn !== 'function') {
    throw new InvalidOptionError('logger', 'must have a warn(message) method (console, pino and app.log do)');
  }
  return logger as CacheLogger;
}

/** A boolean or undefined. */
export function checkBoolean(option: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw new InvalidOptionError(option, `must be true or false, got ${describe(value)}`);
  return value;
}

/** A finite number of milliseconds, 0 or more, or undefined. */
export function checkMilliseconds(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(option, `must be a number of milliseconds, 0 or more, got ${describe(value)}`);
  }
  return value;
}

/** A short, key-free description of a bad option value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
