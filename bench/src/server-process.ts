import type { FastifyInstance } from 'fastify';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import { createInterface } from 'node:readline';

/** A benchmark server running in its own process, and the ports it listens on. */
export interface ServerProcess<Ports> {
  ports: Ports;
  /** The process's pid (for reading its CPU time, see `cpuMicros`). */
  pid: number;
  stop(): void;
}

/**
 * Starts `script` (TypeScript, via tsx) and reads the JSON line of ports it prints when listening.
 * With BENCH_CPU_PROF=<directory>, the server process writes a V8 CPU profile there when stopped
 * (`node --cpu-prof`), for finding where a missed target's time goes.
 */
export async function startServerProcess<Ports>(script: URL, env: NodeJS.ProcessEnv): Promise<ServerProcess<Ports>> {
  const profileDir = process.env.BENCH_CPU_PROF;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', script.pathname], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { ports: JSON.parse(line) as Ports, pid: child.pid!, stop: () => void child.kill() };
}

/**
 * In a server process: listens on a free loopback port per app (a Fastify instance, or a request
 * listener such as an Express app), then prints `{ name: port }` as one JSON line.
 */
export async function listenAndReportPorts(apps: Record<string, FastifyInstance | RequestListener>): Promise<void> {
  // Exit on SIGTERM (stop()) rather than die of it, so that `--cpu-prof` gets to write its profile.
  process.once('SIGTERM', () => process.exit(0));
  const ports: Record<string, number> = {};
  for (const [name, app] of Object.entries(apps)) {
    let server;
    if (typeof app === 'function') {
      server = createServer(app);
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    } else {
      await app.listen({ host: '127.0.0.1', port: 0 });
      server = app.server;
    }
    const address = server.address();
    ports[name] = typeof address === 'object' && address ? address.port : 0;
  }
  console.log(JSON.stringify(ports));
}
