import { LarderError } from '@larder/core';
import { buildApp, type ExampleApp } from './app.js';
import { cacheSettingsProblem, checkCacheConnection } from '../../app/src/cache-check.js';
import { closeServer, listen, portOf } from './http-server.js';
import { listenFailure, readServerSettings } from './server-settings.js';

const settings = readServerSettings(process.env);
const problem = typeof settings === 'string' ? settings : cacheSettingsProblem(process.env);
if (typeof settings === 'string' || problem !== undefined) {
  console.error(`example: ${problem}`);
  process.exit(1);
}

let example: ExampleApp;
try {
  example = buildApp(settings.sessionSecret === undefined ? {} : { sessionSecret: settings.sessionSecret });
} catch (error) {
  // Any other setting the cache refuses (MEMCACHED_TLS=maybe...): its message, in one line.
  if (!(error instanceof LarderError)) throw error;
  console.error(`example: ${error.message}`);
  process.exit(1);
}
// memcached checked before listening: wrong credentials end the start, unreachable is a warning (see cache-check.ts).
const connection = await checkCacheConnection(example.larder.cache, process.env);
if (connection && 'exit' in connection) {
  console.error(`example: ${connection.exit}`);
  await example.close();
  process.exit(1);
}
if (connection) process.stderr.write(`warn: ${connection.warn}\n`);
const server = await listen(example.app, settings.port, settings.host).catch(async (error: unknown) => {
  console.error(`example: ${listenFailure(error, settings.host, settings.port)}`);
  await example.close();
  process.exit(1);
});
console.log(`example: the Express shop is at http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${portOf(server)}/ (Ctrl-C stops it)`);

// Ctrl-C or `kill` closes the server, then the session store and the cache; a second signal ends the process at once.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    closeServer(server)
      .then(() => example.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`example: shutting down failed: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
  });
}
