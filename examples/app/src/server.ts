import { LarderError } from '@larder/core';
import { buildApp } from './app.js';
import { cacheSettingsProblem, checkCacheConnection } from './cache-check.js';
import { listenFailure, readServerSettings } from './server-settings.js';

const settings = readServerSettings(process.env);
const problem = typeof settings === 'string' ? settings : cacheSettingsProblem(process.env);
if (typeof settings === 'string' || problem !== undefined) {
  console.error(`example: ${problem}`);
  process.exit(1);
}

// Logs as plain lines on stderr ("warn: ..."), warnings and errors only (LOG_LEVEL=info shows
// every request), so stdout holds just the URL line and a terminal stays readable.
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const plainLines = {
  write(line: string): void {
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string }; req?: { method?: string; url?: string }; res?: { statusCode?: number } };
      const request = entry.req ? ` ${entry.req.method} ${entry.req.url}` : '';
      const status = entry.res?.statusCode ? ` ${entry.res.statusCode}` : '';
      process.stderr.write(`${LEVELS[entry.level ?? 30] ?? 'log'}: ${entry.msg ?? ''}${request}${status}${entry.err?.message && entry.err.message !== entry.msg ? ` (${entry.err.message})` : ''}\n`);
    } catch {
      process.stderr.write(line);
    }
  },
};
const logger = { level: process.env.LOG_LEVEL || 'warn', stream: plainLines };
const app = await buildApp(settings.sessionSecret === undefined ? { logger } : { logger, sessionSecret: settings.sessionSecret }).catch((error: unknown) => {
  // Any other setting the cache refuses (MEMCACHED_TLS=maybe...): its message, in one line.
  if (!(error instanceof LarderError)) throw error;
  console.error(`example: ${error.message}`);
  process.exit(1);
});
// memcached checked before listening: wrong credentials end the start, unreachable is a warning (see cache-check.ts).
const connection = await checkCacheConnection(app.cache, process.env);
if (connection && 'exit' in connection) {
  console.error(`example: ${connection.exit}`);
  await app.close();
  process.exit(1);
}
if (connection) app.log.warn(connection.warn);
try {
  await app.listen({ port: settings.port, host: settings.host });
} catch (error) {
  console.error(`example: ${listenFailure(error, settings.host, settings.port)}`);
  await app.close();
  process.exit(1);
}
const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : settings.port;
console.log(`example: the Fastify shop is at http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}/ (Ctrl-C stops it)`);
// Ctrl-C or `kill` closes the server and the cache; a second signal ends the process at once.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
