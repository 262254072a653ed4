import { connect } from 'node:net';

/** Resolves once something accepts TCP connections on host:port; rejects after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await canConnect(host, port)) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves once something accepts connections on the Unix socket at `path`; rejects after `timeoutMs`. */
export async function waitForPath(path: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await canConnect(path)) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${path} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function canConnect(host: string, port?: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = port === undefined ? connect({ path: host }) : connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
