import { buildApp } from './app.js';
import { listenFailure, readServerSettings } from './server-settings.js';

const settings = readServerSettings(process.env);
if (typeof settings === 'string') {
  console.error(`example: ${settings}`);
  process.exit(1);
}

const app = await buildApp(settings.sessionSecret === undefined ? {} : { sessionSecret: settings.sessionSecret });
try {
  await app.listen({ port: settings.port, host: settings.host });
} catch (error) {
  console.error(`example: ${listenFailure(error, settings.host, settings.port)}`);
  await app.close();
  process.exit(1);
}
// Ctrl-C or `kill` closes the server and the cache; a second signal ends the process at once.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
