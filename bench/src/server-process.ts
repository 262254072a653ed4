import type { FastifyInstance } from 'fastify';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** A benchmark server running in its own process, and the ports it listens on. */
export interface ServerProcess<Ports> {
  ports: Ports;
  stop(): void;
}

/** Starts `script` (TypeScript, via tsx) and reads the JSON line of ports it prints when listening. */
export async function startServerProcess<Ports>(script: URL, env: NodeJS.ProcessEnv): Promise<ServerProcess<Ports>> {
  const child = spawn(process.execPath, ['--import', 'tsx', script.pathname], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { ports: JSON.parse(line) as Ports, stop: () => void child.kill() };
}

/** In a server process: listens on a free loopback port per app, then prints `{ name: port }` as one JSON line. */
export async function listenAndReportPorts(apps: Record<string, FastifyInstance>): Promise<void> {
  const ports: Record<string, number> = {};
  for (const [name, app] of Object.entries(apps)) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    ports[name] = typeof address === 'object' && address ? address.port : 0;
  }
  console.log(JSON.stringify(ports));
}
