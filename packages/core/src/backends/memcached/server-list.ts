import { InvalidOptionError } from '../../errors.js';

/** One memcached server of a list. */
export interface ServerAddress {
  /** Host name or address; a Unix domain socket's path when `port` is 0. */
  readonly host: string;
  /** TCP port; 0 for a Unix domain socket. */
  readonly port: number;
  /** Relative share of keys on the ring (default 1). */
  readonly weight: number;
}

const DEFAULT_PORT = 11211;

/**
 * Parses `host:port[:weight]` entries, from an array or one comma/space separated string.
 * IPv6 hosts go in brackets: `[::1]:11211`. An entry starting with `/` is a Unix domain socket's
 * path (`/run/memcached.sock[:weight]`; port 0, as libmemcached places it on the ring).
 * Throws InvalidOptionError naming the bad entry.
 */
export function parseServerList(servers: string | readonly string[], option = 'servers'): ServerAddress[] {
  if (typeof servers !== 'string' && !(Array.isArray(servers) && servers.every((entry: unknown) => typeof entry === 'string'))) {
    throw new InvalidOptionError(option, `must be "host:port[:weight]" strings, as an array or one comma-separated string; got ${describe(servers)}`);
  }
  const entries = (typeof servers === 'string' ? [servers] : servers)
    .flatMap((s) => s.split(/[,\s]+/))
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new InvalidOptionError(option, 'needs at least one "host:port" entry');
  return entries.map((entry) => parseEntry(entry, option));
}

function parseEntry(entry: string, option: string): ServerAddress {
  if (entry.startsWith('/')) {
    const socket = /^(\/[^:]*)(?::(\d+))?$/.exec(entry);
    if (!socket) throw new InvalidOptionError(option, `cannot parse Unix socket "${entry}" (expected /path[:weight])`);
    const weight = socket[2] === undefined ? 1 : Number(socket[2]);
    if (!Number.isInteger(weight) || weight < 1) throw new InvalidOptionError(option, `server "${entry}" has weight ${socket[2]}; use a positive integer`);
    return { host: socket[1]!, port: 0, weight };
  }
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?(?::(\d+))?$/.exec(entry);
  if (!match) throw new InvalidOptionError(option, `cannot parse server "${entry}" (expected host:port[:weight])`);
  const host = match[1] ?? match[2] ?? '';
  const port = match[3] === undefined ? DEFAULT_PORT : Number(match[3]);
  const weight = match[4] === undefined ? 1 : Number(match[4]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidOptionError(option, `server "${entry}" has port ${match[3]}, outside 1-65535`);
  }
  if (!Number.isInteger(weight) || weight < 1) {
    throw new InvalidOptionError(option, `server "${entry}" has weight ${match[4]}; use a positive integer`);
  }
  return { host, port, weight };
}

function describe(servers: unknown): string {
  if (Array.isArray(servers)) return `an array holding ${servers.map((entry) => (entry === null ? 'null' : typeof entry)).join(', ') || 'nothing'}`;
  return servers === null ? 'null' : typeof servers === 'number' ? String(servers) : typeof servers;
}

/** `host:port` as libmemcached and the logs write it; a Unix socket's path as it is. */
export function formatAddress(address: Pick<ServerAddress, 'host' | 'port'>): string {
  if (address.port === 0) return address.host;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
