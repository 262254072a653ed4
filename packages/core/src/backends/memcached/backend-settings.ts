import { constants as bufferConstants } from 'node:buffer';
import { parseDurationOption } from '../../duration.js';
import { InvalidOptionError } from '../../errors.js';
import { count, failoverTtlOption, MEMCACHED_OPTION_NAMES, protocolOption, type MemcachedBackendOptions } from './memcached-options.js';
import type { NodeStateChange } from './node-pool.js';
import { parseServerList, type ServerAddress } from './server-list.js';
import { tlsOption } from './tls-options.js';
import { discoveryOption } from './discovery-options.js';
import type { DiscoverySettings } from './node-discovery.js';

// Smaller chunks would turn one value into tens of thousands of items and round trips.
const MIN_CHUNK_SIZE = 1024;

/** MemcachedBackendOptions checked and resolved, defaults applied (see the options for each). */
export interface BackendSettings {
  readonly addresses: ServerAddress[];
  readonly discovery: DiscoverySettings | undefined;
  readonly timeout: number;
  readonly connectTimeout: number;
  readonly noreply: boolean;
  readonly onNoreplyError: ((error: unknown, operation: 'set' | 'delete') => void) | undefined;
  readonly chunkSize: number;
  readonly maxValueSize: number;
  readonly tls: ReturnType<typeof tlsOption>;
  readonly protocol: 'binary' | 'meta';
  readonly keepAlive: boolean;
  readonly failureLimit: number;
  readonly deadTimeoutMs: number;
  readonly rejoinKeyLimit: number;
  readonly failoverTtl: number;
  readonly onNodeChange: ((change: NodeStateChange) => void) | undefined;
}

/** Checks a MemcachedBackend's options (names, types, bounds) and resolves them; throws InvalidOptionError naming the option. */
export function backendSettings(options: MemcachedBackendOptions): BackendSettings {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('options', 'MemcachedBackend needs an options object with "servers"');
  }
  MEMCACHED_OPTION_NAMES.check(options);
  const discovery = discoveryOption(options.discovery);
  if (options.servers === undefined && discovery === undefined) throw new InvalidOptionError('servers', 'MemcachedBackend needs "servers" (or "discovery")');
  const addresses = options.servers === undefined ? [] : parseServerList(options.servers);
  const timeout = parseDurationOption('timeout', options.timeout ?? 500, 'ms');
  const connectTimeout = parseDurationOption('connectTimeout', options.connectTimeout ?? 2000, 'ms');
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw new InvalidOptionError(options.username === undefined ? 'username' : 'password', 'SASL needs both username and password');
  }
  for (const option of ['username', 'password'] as const) {
    if (options[option] !== undefined && typeof options[option] !== 'string') throw new InvalidOptionError(option, `must be a string, got ${typeof options[option]}`);
  }
  for (const option of ['keepAlive', 'noreply'] as const) {
    if (options[option] !== undefined && typeof options[option] !== 'boolean') throw new InvalidOptionError(option, `must be true or false, got ${typeof options[option]}`);
  }
  for (const option of ['onNodeChange', 'onNoreplyError'] as const) {
    const value = options[option];
    if (value !== undefined && typeof value !== 'function') throw new InvalidOptionError(option, `must be a function, got ${value === null ? 'null' : typeof value}`);
  }
  const chunkSize = count('chunkSize', options.chunkSize ?? 1_000_000, MIN_CHUNK_SIZE);
  const maxValueSize = count('maxValueSize', options.maxValueSize ?? 32 * 1024 * 1024, 1);
  if (maxValueSize > bufferConstants.MAX_LENGTH) {
    throw new InvalidOptionError('maxValueSize', `must be at most ${bufferConstants.MAX_LENGTH} bytes (the largest Buffer), got ${maxValueSize}`);
  }
  const tls = tlsOption(options.tls);
  return {
    addresses,
    discovery,
    timeout,
    connectTimeout,
    noreply: options.noreply ?? false,
    onNoreplyError: options.onNoreplyError,
    chunkSize,
    maxValueSize,
    tls,
    protocol: protocolOption(options),
    keepAlive: options.keepAlive ?? true,
    failureLimit: count('failureLimit', options.failureLimit ?? 2, 1),
    deadTimeoutMs: parseDurationOption('deadTimeout', options.deadTimeout ?? 2, 's'),
    rejoinKeyLimit: count('rejoinKeyLimit', options.rejoinKeyLimit ?? 10_000, 0),
    failoverTtl: failoverTtlOption(options.failoverTtl ?? 300),
    onNodeChange: options.onNodeChange,
  };
}
