import { connect, createServer, type Server, type Socket } from 'node:net';

/** A loopback TCP proxy that holds back every chunk, each direction, by `delayMs`, in order (any protocol). */
export interface LatencyProxy {
  /** `127.0.0.1:<port>` to give a client. */
  readonly address: string;
  close(): Promise<void>;
}

/** Starts a latency proxy in front of `target`, so one round trip through it takes at least 2 × `delayMs`. */
export async function startLatencyProxy(target: { host: string; port: number }, delayMs: number): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    // Equal delays on one timer queue keep the chunks in order.
    const relay = (to: Socket) => (chunk: Buffer) => void setTimeout(() => to.writable && to.write(chunk), delayMs);
    client.on('data', relay(upstream));
    upstream.on('data', relay(client));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
