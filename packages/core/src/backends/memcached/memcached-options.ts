import type { Duration } from '../../duration.js';
import { InvalidOptionError } from '../../errors.js';
import { OptionNames, type ListsExactly } from '../../option-names.js';
import { MEMCACHED_RELATIVE_TTL_LIMIT, parseTtlOption, type Ttl } from '../../ttl.js';
import type { NodeStateChange } from './node-pool.js';
import type { MemcachedTlsOptions } from './tls-options.js';
import type { MemcachedDiscoveryOptions } from './discovery-options.js';

/** Options of the memcached backend. */
export interface MemcachedBackendOptions {
  /** `host:port[:weight]` entries, as an array or one comma-separated string (may be left out with `discovery`). */
  servers?: string | readonly string[];
  /**
   * ElastiCache-style node discovery: the node list is asked for from `configEndpoint`
   * (`config get cluster`) at start and every `interval`, and the ring is rebuilt when its
   * version changes. `connect()` waits for the first list; `servers`, when given too, serve until then.
   */
  discovery?: MemcachedDiscoveryOptions;
  /**
   * TLS to every server (memcached `-Z`, ElastiCache in-transit encryption): `true` for Node's
   * defaults (the bundled CAs, host name checked), or `ca`, `cert`, `key`, `servername`,
   * `rejectUnauthorized`. A certificate that does not verify is a TlsError (E_CONNECTION).
   */
  tls?: boolean | MemcachedTlsOptions;
  /**
   * `binary` (default; SASL needs it) or `meta`, memcached 1.6's meta commands (mg/ms/md/ma/mn)
   * over the text protocol: same keys, flags, values and chunks, so clients of either read
   * what the other writes. Not with SASL (memcached has SASL on binary only).
   */
  protocol?: 'binary' | 'meta';
  /**
   * Fire-and-forget `set`, `setMany`, `delete` and `deleteMany` (pymemcache's `default_noreply`):
   * they resolve true once the request is queued on the node's connection, before memcached
   * acknowledges it, so true means "sent", not "stored" or "existed". The answer is still read in
   * the background: a refusal or failure goes to `onNoreplyError` and counts against the node.
   * A later read in this process sees the write (one connection per node, answers in order).
   * add, replace, cas, incr, decr, touch and every read still wait (default false).
   */
  noreply?: boolean;
  /** Told when a noreply write or delete fails after its call resolved true (default: nothing; use it). */
  onNoreplyError?: (error: unknown, operation: 'set' | 'delete') => void;
  /** SASL PLAIN username (MemCachier, `memcached -S`). */
  username?: string;
  /** SASL PLAIN password. */
  password?: string;
  /**
   * Milliseconds (a number, or `'500ms'`, `'2s'`) within which every call settles, connecting
   * included (default 500; from 1 ms to 2^31 - 1 ms: `0.5` is refused, it is seconds). A value
   * over `chunkSize` takes two round trips (manifest, then chunks: a get, a touch, or the removal
   * of the chunks a write or delete replaced); together they get `timeout`.
   */
  timeout?: Duration;
  /**
   * Milliseconds (or `'2s'`) that `connect()` and background probes of a node may take to
   * connect, authenticate and answer (default 2000). Calls never wait longer than `timeout`.
   */
  connectTimeout?: Duration;
  /** TCP keep-alive on idle connections (default true). */
  keepAlive?: boolean;
  /**
   * Consecutive failures (refused, reset, timed out) that take a node out of the ring (default 2).
   * One failure followed by a failed probe does too; a refused SASL login does at once.
   */
  failureLimit?: number;
  /**
   * Seconds (or `'500ms'`, `'2s'`) between background probes of a node out of the ring
   * (default 2, MemCachier's advice for pylibmc). Requests never wait on a dead node.
   */
  deadTimeout?: Duration;
  /**
   * Keys remembered per dead node (written, deleted or read on another node while it was out, or
   * whose request failed on it as it went) to delete from it before it rejoins; past this it is
   * flushed before it rejoins
   * (default 10,000, at most 250 bytes each; 0 = always flush a node that comes back).
   */
  rejoinKeyLimit?: number;
  /**
   * Longest TTL, in seconds (or `'5m'`), of a value written to another node for a dead node's
   * key once more than `rejoinKeyLimit` keys changed (or with `rejoinKeyLimit` 0): such copies
   * are not tracked, so nothing deletes them after the rejoin; capping them means a later outage
   * of the same node cannot bring back a value deleted after the rejoin, once this time has passed
   * since the write (default 300; 1 s to 30 days). Values kept rewritten (rolling sessions)
   * survive a long outage; idle ones expire. Tracked keys keep their TTL.
   */
  failoverTtl?: Ttl;
  /** Told when a node leaves or rejoins the ring; called last, a listener that throws is ignored. */
  onNodeChange?: (change: NodeStateChange) => void;
  /**
   * Largest value in bytes; larger ones are split into chunks up to this (default 32 MiB; at
   * most `buffer.constants.MAX_LENGTH`, the largest Buffer).
   */
  maxValueSize?: number;
  /**
   * Largest single memcached item the backend writes, in bytes, a whole number from 1024
   * (default 1,000,000: fits memcached's and MemCachier's 1 MB). Processes sharing a cache must
   * use the same value: a chunked value whose chunk count does not match it is refused as
   * foreign (a miss).
   */
  chunkSize?: number;
}

/** The names of MemcachedBackendOptions, checked at run time (the assertion below fails the build when one is missing). */
export const MEMCACHED_OPTIONS = [
  'servers',
  'discovery',
  'tls',
  'protocol',
  'noreply',
  'onNoreplyError',
  'username',
  'password',
  'timeout',
  'connectTimeout',
  'keepAlive',
  'failureLimit',
  'deadTimeout',
  'rejoinKeyLimit',
  'failoverTtl',
  'onNodeChange',
  'maxValueSize',
  'chunkSize',
] as const;
const memcachedOptionsListed: ListsExactly<(typeof MEMCACHED_OPTIONS)[number], keyof MemcachedBackendOptions> = true;
void memcachedOptionsListed;
/** The check of a MemcachedBackend's option names. */
export const MEMCACHED_OPTION_NAMES = new OptionNames('MemcachedBackend', MEMCACHED_OPTIONS);

/** Reads `failoverTtl`: seconds from 1 to 30 days (0, "never expire", would defeat it). */
export function failoverTtlOption(value: Ttl): number {
  const seconds = parseTtlOption('failoverTtl', value);
  if (seconds < 1 || seconds > MEMCACHED_RELATIVE_TTL_LIMIT) {
    throw new InvalidOptionError('failoverTtl', `must be from 1 s to 30 days (0 would mean "never expire"), got ${String(value)}`);
  }
  return seconds;
}

/** Reads a whole-number option of at least `min`; throws InvalidOptionError naming it. */
export function count(option: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(option, `must be a whole number of at least ${min}, got ${String(value)}`);
  }
  return value;
}


/** Reads `protocol`: binary or meta; meta with SASL credentials is refused (memcached has SASL on binary only). */
export function protocolOption(options: Pick<MemcachedBackendOptions, 'protocol' | 'username'>): 'binary' | 'meta' {
  const protocol = options.protocol ?? 'binary';
  if (protocol !== 'binary' && protocol !== 'meta') {
    throw new InvalidOptionError('protocol', `must be "binary" or "meta", got ${JSON.stringify(protocol)}`);
  }
  if (protocol === 'meta' && options.username !== undefined) {
    throw new InvalidOptionError('protocol', 'SASL (username/password) needs the binary protocol: memcached has no SASL on meta; use TLS with meta instead, or protocol "binary"');
  }
  return protocol;
}
