import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { TlsError } from './tls-error.js';

/** Where and how to connect to one memcached server. */
export interface SocketTarget {
  /** Host name or address; a Unix socket's path when `port` is 0. */
  readonly host: string;
  /** TCP port; 0 for a Unix domain socket. */
  readonly port: number;
  /** TLS options, or undefined for a plain connection. */
  readonly tls: ConnectionOptions | undefined;
  /** `host:port` (or the path) for error messages. */
  readonly address: string;
}

/**
 * Opens a connection over TCP, a Unix domain socket or TLS. `onReady` runs once it can carry
 * requests (after the TLS handshake on TLS). `onError` gets every socket error; one that ends a
 * TLS handshake (a certificate that does not verify, a server not speaking TLS, a reset during
 * the handshake) comes as a TlsError naming the server, never as a bare reset.
 */
export function openSocket(target: SocketTarget, onReady: (socket: Socket) => void, onError: (error: unknown) => void): Socket {
  if (target.tls === undefined) {
    const socket = target.port === 0 ? netConnect({ path: target.host }) : netConnect({ host: target.host, port: target.port });
    socket.once('connect', () => onReady(socket));
    socket.on('error', onError);
    return socket;
  }
  const where = target.port === 0 ? { path: target.host } : { host: target.host, port: target.port };
  // An IP address is checked against the certificate's IP entries but is never sent as SNI.
  const servername = target.tls.servername ?? (target.port !== 0 && isIP(target.host) === 0 ? target.host : undefined);
  const socket = tlsConnect({ ...target.tls, ...where, ...(servername !== undefined ? { servername } : {}) });
  let tcpUp = false;
  let secure = false;
  socket.once('connect', () => (tcpUp = true));
  socket.once('secureConnect', () => {
    secure = true;
    onReady(socket);
  });
  socket.on('error', (error: unknown) => onError(tcpUp && !secure ? new TlsError(target.address, error) : error));
  return socket;
}
