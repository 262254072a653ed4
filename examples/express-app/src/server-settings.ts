/** Where and how the example server runs, read from PORT, HOST and SESSION_SECRET. */
export interface ServerSettings {
  /** TCP port (PORT, default 3000; 0 picks a free one). */
  port: number;
  /** Address to listen on (HOST, default 127.0.0.1; 0.0.0.0 for every interface). */
  host: string;
  /** Signs the session cookie and seals the stored sessions (SESSION_SECRET, at least 32 characters; default: a development secret). */
  sessionSecret?: string;
}

/** The command that starts this example from the repository's root, for the hints below. */
export const START_COMMAND = 'bash scripts/example.sh express';

/** The settings from `env`, or a one-line message saying which variable is wrong. */
export function readServerSettings(env: NodeJS.ProcessEnv): ServerSettings | string {
  const portText = env.PORT?.trim() || '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) return `PORT must be a TCP port number from 0 to 65535, not "${portText}"`;
  const host = env.HOST?.trim() || '127.0.0.1';
  const sessionSecret = env.SESSION_SECRET;
  if (sessionSecret === undefined || sessionSecret === '') return { port, host };
  // The session store refuses shorter sealing secrets with a stack trace; say it in one line instead.
  if (sessionSecret.length < 32) return `SESSION_SECRET must be at least 32 characters (it has ${sessionSecret.length})`;
  return { port, host, sessionSecret };
}

/** One line explaining why listening on host:port failed. */
export function listenFailure(error: unknown, host: string, port: number): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') return `${where} is already in use; stop what listens there or choose another port, e.g. PORT=${port < 65_535 ? port + 1 : 3000} ${START_COMMAND}`;
  if (code === 'EACCES') return `not allowed to listen on ${where} (ports below 1024 need root); set PORT to 1024 or above`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return `HOST=${host} is not an address of this machine; try HOST=127.0.0.1`;
  return `cannot listen on ${where}: ${error instanceof Error ? error.message : String(error)}`;
}
