import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { pacedLoad } from '../src/curves/paced-load.js';

test('pacedLoad sends rate × duration requests spread over the window, reporting responses and failures', async () => {
  const arrivals: number[] = [];
  const server = createServer((request, response) => {
    arrivals.push(performance.now());
    if (request.url === '/fail/7') return void request.socket.destroy();
    response.statusCode = request.url === '/status/9' ? 500 : 200;
    response.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const outcomes: string[] = [];
  const start = performance.now();
  try {
    const { sent } = await pacedLoad({
      url: (i) => `http://127.0.0.1:${port}/${i === 7 ? 'fail' : i === 9 ? 'status' : 'ok'}/${i}`,
      rate: 100,
      durationMs: 400,
      agent,
      onResponse: (_now, latencyMs, ok) => {
        assert.ok(latencyMs >= 0);
        outcomes.push(ok ? 'ok' : 'bad');
      },
      onError: () => outcomes.push('error'),
    });
    assert.equal(sent, 40);
    const count = (outcome: string) => outcomes.filter((o) => o === outcome).length;
    assert.deepEqual({ ok: count('ok'), bad: count('bad'), error: count('error') }, { ok: 38, bad: 1, error: 1 });
    // Paced, not a burst: requests reach the server through the whole window, not all in its first tenth.
    const late = arrivals.filter((t) => t - start > 200).length;
    assert.ok(late >= 10, `${late} of ${arrivals.length} requests arrived in the second half`);
  } finally {
    agent.destroy();
    server.close();
  }
});
