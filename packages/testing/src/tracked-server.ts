import { createServer, type Server, type Socket } from 'node:net';
import { freePort } from './free-port.js';

/** A loopback TCP server for fault injection whose `close()` also drops every open connection. */
export interface FaultServer {
  /** `127.0.0.1:port`. */
  readonly address: string;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** Listens on a free loopback port, handing each connection to `onConnection` and tracking it for `close()`. */
export async function startFaultServer(onConnection: (socket: Socket, track: (other: Socket) => void) => void): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server: Server = createServer((socket) => {
    track(socket);
    onConnection(socket, track);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A server that accepts connections and never answers: a hung memcached. */
export function startBlackHole(): Promise<FaultServer> {
  return startFaultServer(() => {});
}
