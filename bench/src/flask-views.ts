import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { MemcachedServer, SYSTEM_PYTHON } from '@larder/testing';
import { BODY } from './http-body.js';
import { CONNECTIONS, interleavedRates } from './http-rate.js';
import { rate, type ResultRow } from './report.js';
import { startServerProcess } from './server-process.js';

// Flask-Caching's whole-page cache, `@cache.cached()`, on memcached (MemcachedCache, which picks
// pylibmc), served by Werkzeug's server in one thread (a pylibmc client must not be shared by
// threads: with `threaded=True` it crashes); prints its port, then serves until killed.
const FLASK_APP = `
import os, sys
from flask import Flask, Response
from flask_caching import Cache
from werkzeug.serving import make_server
app = Flask(__name__)
cache = Cache(app, config={'CACHE_TYPE': 'MemcachedCache', 'CACHE_MEMCACHED_SERVERS': [sys.argv[1]], 'CACHE_KEY_PREFIX': 'flask/'})
body = os.environ['BENCH_BODY']
@app.route('/cached')
@cache.cached(timeout=300)
def cached():
    return Response(body, mimetype='application/json')
server = make_server('127.0.0.1', 0, app, threaded=False)
print(server.server_port, flush=True)
server.serve_forever()
`;

/** Larder's memcached view hit (Fastify) against Flask-Caching's `@cache.cached()` on the same memcached, the same page. */
export async function benchFlaskViews(): Promise<ResultRow[]> {
  const memcached = await MemcachedServer.start();
  const larder = await startServerProcess<{ memcached: number }>(new URL('./http-servers.ts', import.meta.url), { BENCH_MEMCACHED: memcached.address });
  const flask = spawn(SYSTEM_PYTHON, ['-c', FLASK_APP, memcached.address], { env: { ...process.env, BENCH_BODY: BODY }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [port] = (await once(createInterface({ input: flask.stdout! }), 'line')) as [string];
    const [flaskRate, larderRate] = await interleavedRates([{ url: `http://127.0.0.1:${port}/cached` }, { url: `http://127.0.0.1:${larder.ports.memcached}/cached` }]);
    return [
      {
        benchmark: `view-cached route on memcached: Larder (Fastify) vs Flask-Caching @cache.cached() on the same memcached (pylibmc, Werkzeug server, one thread; ~1 KB JSON, autocannon, ${CONNECTIONS} connections)`,
        larder: rate(larderRate!, 'req/s'),
        baseline: `${rate(flaskRate!, 'req/s')} (Flask-Caching 2)`,
        ratio: larderRate! / flaskRate!,
        target: 'held (10.1x at ccf5aaa)',
        met: larderRate! / flaskRate! >= 5,
      },
    ];
  } finally {
    flask.kill();
    larder.stop();
    await memcached.stop();
  }
}
