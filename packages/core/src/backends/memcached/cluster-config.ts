import type { ConnectionOptions } from 'node:tls';
import { ConnectionError, LarderError, TimeoutError } from '../../errors.js';
import { openSocket } from './open-socket.js';
import { formatAddress, type ServerAddress } from './server-list.js';

/** The node list a configuration endpoint gave: its version, and the nodes (`ip`, else the host name, and port). */
export interface ClusterConfig {
  readonly version: number;
  readonly servers: readonly ServerAddress[];
}

/**
 * A configuration endpoint answered `config get cluster` with something that is not a cluster
 * configuration (a plain memcached answers ERROR; a truncated or garbled answer). Code E_SERVER.
 */
export class ClusterConfigError extends LarderError {
  constructor(endpoint: string, detail: string) {
    super('E_SERVER', `memcached configuration endpoint ${endpoint}: unusable "config get cluster" answer: ${detail}`);
  }
}

const REQUEST = 'config get cluster\r\n';
const HEADER = /^CONFIG cluster \d+ (\d+)$/;
const TRAILER = '\r\nEND\r\n';
const ERROR_LINE = /^(ERROR|CLIENT_ERROR|SERVER_ERROR)\b/;
// A cluster of hundreds of nodes stays far below this; anything longer is not a configuration.
const MAX_ANSWER = 256 * 1024;

/**
 * Parses the answer to `config get cluster` (ElastiCache auto-discovery):
 * `CONFIG cluster 0 <length>\r\n<version>\n<host|ip|port> <host|ip|port>...\n\r\nEND\r\n`.
 * Undefined while `answer` is incomplete; throws ClusterConfigError when it cannot be one.
 */
export function parseClusterConfig(answer: Buffer, endpoint: string): ClusterConfig | undefined {
  const lineEnd = answer.indexOf('\r\n');
  if (lineEnd < 0) {
    if (answer.length > 256) throw new ClusterConfigError(endpoint, 'no header line');
    return undefined;
  }
  const header = answer.subarray(0, lineEnd).toString('latin1');
  if (ERROR_LINE.test(header)) throw new ClusterConfigError(endpoint, `answered ${JSON.stringify(header.slice(0, 80))} (not an ElastiCache configuration endpoint?)`);
  const match = HEADER.exec(header);
  if (match === null) throw new ClusterConfigError(endpoint, `header ${JSON.stringify(header.slice(0, 80))}`);
  const length = Number(match[1]);
  const start = lineEnd + 2;
  if (length > MAX_ANSWER) throw new ClusterConfigError(endpoint, `a length of ${length} bytes`);
  if (answer.length < start + length + TRAILER.length) return undefined;
  if (answer.subarray(start + length, start + length + TRAILER.length).toString('latin1') !== TRAILER) throw new ClusterConfigError(endpoint, 'the data block is not followed by END');
  const lines = answer.subarray(start, start + length).toString('latin1').split('\n');
  if (!/^\d{1,15}$/.test(lines[0] ?? '')) throw new ClusterConfigError(endpoint, 'no version number');
  const entries = (lines[1] ?? '').split(' ').filter((entry) => entry !== '');
  if (entries.length === 0) throw new ClusterConfigError(endpoint, 'no nodes');
  return { version: Number(lines[0]), servers: entries.map((entry) => parseNode(entry, endpoint)) };
}

function parseNode(entry: string, endpoint: string): ServerAddress {
  const parts = entry.split('|');
  const port = Number(parts[2]);
  if (parts.length !== 3 || (parts[0] === '' && parts[1] === '') || !/^\d{1,5}$/.test(parts[2]!) || port < 1 || port > 65535) {
    throw new ClusterConfigError(endpoint, `node entry ${JSON.stringify(entry.slice(0, 120))} (expected host|ip|port)`);
  }
  // The IP when given (no lookup, and what ElastiCache's own clients connect to), else the host name.
  return { host: parts[1] !== '' ? parts[1]! : parts[0]!, port, weight: 1 };
}

/**
 * Asks the configuration endpoint for the node list over the text protocol, on a connection of
 * its own (TLS when the nodes use it), closed after the answer. Rejects within `timeoutMs` with a
 * ConnectionError or TimeoutError naming the endpoint, or a ClusterConfigError.
 */
export function fetchClusterConfig(endpoint: ServerAddress, tls: ConnectionOptions | undefined, timeoutMs: number): Promise<ClusterConfig> {
  const address = formatAddress(endpoint);
  return new Promise<ClusterConfig>((resolve, reject) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (error: unknown, config?: ClusterConfig) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (config !== undefined) resolve(config);
      else reject(error instanceof LarderError ? error : new ConnectionError(address, error instanceof Error ? error.message : String(error), { cause: error }));
    };
    const socket = openSocket(
      { host: endpoint.host, port: endpoint.port, tls, address },
      (ready) => ready.write(REQUEST),
      (error) => finish(error),
    );
    const timer = setTimeout(() => finish(new TimeoutError(address, timeoutMs)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        const config = parseClusterConfig(received, address);
        if (config !== undefined) finish(undefined, config);
        else if (received.length > MAX_ANSWER) finish(new ClusterConfigError(address, 'an answer too long'));
      } catch (error) {
        finish(error);
      }
    });
    socket.on('close', () => finish(new ConnectionError(address, 'closed the connection before a complete "config get cluster" answer')));
  });
}
