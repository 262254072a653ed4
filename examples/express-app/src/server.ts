import { buildApp } from './app.js';
import { closeServer, listen, portOf } from './http-server.js';
import { listenFailure, readServerSettings } from './server-settings.js';

const settings = readServerSettings(process.env);
if (typeof settings === 'string') {
  console.error(`example: ${settings}`);
  process.exit(1);
}

const example = buildApp(settings.sessionSecret === undefined ? {} : { sessionSecret: settings.sessionSecret });
const server = await listen(example.app, settings.port, settings.host).catch(async (error: unknown) => {
  console.error(`example: ${listenFailure(error, settings.host, settings.port)}`);
  await example.close();
  process.exit(1);
});
console.log(`example: the Express shop is at http://${settings.host}:${portOf(server)}/`);

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
