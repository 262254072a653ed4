import type { ConnectionOptions } from 'node:tls';

/** Connection settings of one node, resolved by the backend. */
export interface NodeSettings {
  /** Host name or address; a Unix socket's path when `port` is 0. */
  readonly host: string;
  /** TCP port; 0 for a Unix domain socket. */
  readonly port: number;
  /** TLS options, or undefined for a plain connection. */
  readonly tls: ConnectionOptions | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Milliseconds any request may take, connecting included. */
  readonly timeout: number;
  /** Milliseconds `connect()` and background probes may take to connect, authenticate and answer. */
  readonly connectTimeout: number;
  /** TCP keep-alive on the connection. */
  readonly keepAlive: boolean;
}
