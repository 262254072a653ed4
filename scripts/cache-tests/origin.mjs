// The HTTP cache-tests suite's own origin server (its server/ handlers, unchanged), listening on
// 127.0.0.1 only: the suite's server.mjs listens on every interface. Usage: node origin.mjs <suite dir> <port>
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [suite, port] = process.argv.slice(2);
const load = async (name) => (await import(pathToFileURL(path.join(suite, 'server', name)).href)).default;
const handlers = { config: await load('handle-config.mjs'), test: await load('handle-test.mjs'), state: await load('handle-state.mjs') };
const handleFile = await load('handle-file.mjs');
const baseUrl = `http://127.0.0.1:${port}/`;

// As the suite's handleMain: the first path segment picks the handler.
const server = http.createServer((request, response) => {
  const url = new URL(request.url, baseUrl);
  const segments = url.pathname.split('/');
  segments.shift();
  const handler = handlers[segments.shift()];
  if (handler) handler(segments, request, response);
  else handleFile(url, request, response);
});
server.listen(Number(port), '127.0.0.1', () => console.log(`cache-tests origin on ${baseUrl}`));
