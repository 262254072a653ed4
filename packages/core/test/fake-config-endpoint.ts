import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

/** What the fake answers `config get cluster` with. */
export type EndpointMode = { readonly kind: 'config'; readonly version: number; readonly nodes: readonly string[] } | { readonly kind: 'raw'; readonly answer: string } | { readonly kind: 'silent' };

/**
 * A fake ElastiCache configuration endpoint on 127.0.0.1: answers `config get cluster` with the
 * node list it is given (`host|ip|port` entries for `127.0.0.1:<port>` nodes), raw bytes, or
 * nothing. `asked` resolves on the next request answered, so a test awaits a poll, never a sleep.
 */
export class FakeConfigEndpoint {
  mode: EndpointMode = { kind: 'silent' };
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #waiters: Array<() => void> = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<FakeConfigEndpoint> {
    const server = createServer();
    const endpoint = new FakeConfigEndpoint(server);
    server.on('connection', (socket) => endpoint.#serve(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return endpoint;
  }

  /** `127.0.0.1:<port>`. */
  get address(): string {
    const { port } = this.#server.address() as { port: number };
    return `127.0.0.1:${port}`;
  }

  /** Answers the node list `ports` (each a memcached on 127.0.0.1) as `version`. */
  serve(version: number, ports: readonly number[]): void {
    this.mode = { kind: 'config', version, nodes: ports.map((port) => `localhost|127.0.0.1|${port}`) };
  }

  /** Resolves once the next request has been answered (or ignored, when silent). */
  asked(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async stop(): Promise<void> {
    if (!this.#server.listening) return;
    for (const socket of this.#sockets) socket.destroy();
    this.#server.close();
    await once(this.#server, 'close');
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (!received.includes('\r\n')) return;
      const request = received.slice(0, received.indexOf('\r\n'));
      received = '';
      const mode = this.mode;
      if (request === 'config get cluster' && mode.kind !== 'silent') socket.write(mode.kind === 'raw' ? mode.answer : clusterAnswer(mode.version, mode.nodes));
      else if (request !== 'config get cluster') socket.write('ERROR\r\n');
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const resolve of waiters) setImmediate(resolve);
    });
  }
}

/** The answer ElastiCache gives: `CONFIG cluster 0 <length>\r\n<version>\n<nodes>\n\r\nEND\r\n`. */
export function clusterAnswer(version: number, nodes: readonly string[]): string {
  const data = `${version}\n${nodes.join(' ')}\n`;
  return `CONFIG cluster 0 ${Buffer.byteLength(data)}\r\n${data}\r\nEND\r\n`;
}
