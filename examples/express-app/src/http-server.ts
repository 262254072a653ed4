import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';

/** An HTTP server for `handler` listening on host:port; rejects with the listen error (EADDRINUSE...). */
export async function listen(handler: RequestListener, port: number, host: string): Promise<Server> {
  const server = createServer(handler);
  server.listen(port, host);
  // `once` rejects when 'error' comes first.
  await once(server, 'listening');
  return server;
}

/** Stops accepting connections and resolves once the open ones have ended (idle keep-alive ones are closed now). */
export function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  server.closeIdleConnections();
  return closed;
}

/** The port `server` listens on. */
export function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}
