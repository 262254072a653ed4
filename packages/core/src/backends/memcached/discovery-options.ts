import { parseDurationOption, type Duration } from '../../duration.js';
import { InvalidOptionError } from '../../errors.js';
import { OptionNames } from '../../option-names.js';
import type { DiscoverySettings } from './node-discovery.js';
import { parseServerList } from './server-list.js';

/** ElastiCache-style node discovery (`config get cluster` on the configuration endpoint). */
export interface MemcachedDiscoveryOptions {
  /** `host:port` of the configuration endpoint (ElastiCache's `.cfg.` address; port 11211 when left out). */
  configEndpoint: string;
  /** How often the node list is asked for (default 60 s; a number is milliseconds, or `'30s'`). */
  interval?: Duration;
  /** Told when the node list changed, after the ring was rebuilt: the servers (`ip:port`) and the list's version. */
  onChange?: (servers: readonly string[], version: number) => void;
  /** Told when a poll failed or its answer was malformed (E_CONNECTION, E_TIMEOUT, E_SERVER); the last list is kept. */
  onError?: (error: unknown) => void;
}

const DISCOVERY_OPTIONS = new OptionNames('discovery', ['configEndpoint', 'interval', 'onChange', 'onError']);

/** Checks `discovery` and resolves it; undefined when not given. Throws InvalidOptionError naming the option. */
export function discoveryOption(discovery: MemcachedDiscoveryOptions | undefined): DiscoverySettings | undefined {
  if (discovery === undefined) return undefined;
  if (discovery === null || typeof discovery !== 'object' || Array.isArray(discovery)) throw new InvalidOptionError('discovery', 'must be { configEndpoint, interval, onChange, onError }');
  DISCOVERY_OPTIONS.check(discovery, 'discovery.');
  if (typeof discovery.configEndpoint !== 'string') throw new InvalidOptionError('discovery.configEndpoint', `must be a "host:port" string, got ${typeof discovery.configEndpoint}`);
  const endpoints = parseServerList(discovery.configEndpoint, 'discovery.configEndpoint');
  if (endpoints.length !== 1 || endpoints[0]!.port === 0) throw new InvalidOptionError('discovery.configEndpoint', 'must be one "host:port"');
  for (const name of ['onChange', 'onError'] as const) {
    const value = discovery[name];
    if (value !== undefined && typeof value !== 'function') throw new InvalidOptionError(`discovery.${name}`, `must be a function, got ${value === null ? 'null' : typeof value}`);
  }
  return {
    endpoint: endpoints[0]!,
    intervalMs: parseDurationOption('discovery.interval', discovery.interval ?? 60_000, 'ms'),
    onChange: discovery.onChange,
    onError: discovery.onError,
  };
}
