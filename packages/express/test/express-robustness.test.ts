import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Cache, MemoryBackend } from '@larder/core';
import { request as get } from '@larder/http/conformance';
import express from 'express';
import { cacheResponse, larder, viewKey, type ExpressAppLike, type LarderExpress } from '../src/index.js';

// What an attacker's review found, each a test: one request must never stall a key for others,
// an acknowledged invalidation must not be undone by a miss that was running, refreshes end.

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('@larder/express under an attacker\'s requests', () => {
  let shop: LarderExpress;
  let server: Server;
  let base: string;
  const runs = new Map<string, number>();
  const run = (name: string) => {
    const next = (runs.get(name) ?? 0) + 1;
    runs.set(name, next);
    return next;
  };
  let priceGate = gate();
  let priceEntered = gate();
  let price = 1;
  let streamGate = gate();

  before(async () => {
    const app = express();
    shop = larder(app as unknown as ExpressAppLike, { cache: new Cache({ backend: new MemoryBackend(), logger: { warn() {} } }), logger: { warn() {} } });
    app.get('/list', cacheResponse({ surrogateKeys: true, tags: (request) => [`cat:${String(request.query.cat ?? 'all')}`] }), (request, response) => {
      response.send(`list of ${String(request.query.cat)} #${run('list')}`);
    });
    app.get('/price', cacheResponse({ tags: () => ['price'] }), async (_request, response) => {
      const seen = price;
      priceEntered.open();
      await priceGate.opened;
      response.send(`price ${seen}`);
    });
    app.get('/slow-stream', cacheResponse(), async (_request, response) => {
      const n = run('slow-stream');
      response.type('text/plain');
      response.write(`part one of run ${n}, `);
      if (n === 1) await streamGate.opened;
      response.end('the end');
    });
    app.get('/piped', cacheResponse({ ttl: 1, grace: 60 }), (_request, response) => {
      const n = run('piped');
      response.type('text/plain');
      // 1 MiB in 16 KiB parts: more than a socketless response buffers before asking to drain.
      Readable.from((function* () {
        for (let i = 0; i < 64; i++) yield Buffer.alloc(16 * 1024, 97);
        yield Buffer.from(` run ${n}`);
      })()).pipe(response);
    });
    app.get('/search', cacheResponse({ queryString: true }), (request, response) => void response.send(`search ${String(request.query.city)} #${run('search')}`));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await shop.close();
    await shop.cache.close();
  });

  it('a tag no header can carry (non-Latin text) is stored without Surrogate-Key, and the key keeps answering everyone', { timeout: 5_000 }, async () => {
    const odd = await get(base, '/list?cat=%E6%97%A5');
    assert.equal(odd.status, 200);
    assert.equal(odd.headers['surrogate-key'], undefined);
    const plain = await get(base, '/list?cat=all');
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['x-cache'], 'HIT', 'the route has no queryString: one entry for every query');
  });

  it('an invalidateTags acknowledged while a miss runs makes the page it stores a miss', { timeout: 5_000 }, async () => {
    priceGate = gate();
    priceEntered = gate();
    const pending = get(base, '/price');
    // The miss started reading the tag's version before its handler ran; the handler now waits.
    await priceEntered.opened;
    price = 2;
    assert.equal(await shop.cache.invalidateTags(['price']), true);
    priceGate.open();
    assert.equal((await pending).text, 'price 1');
    const next = await get(base, '/price');
    assert.equal(next.headers['x-cache'], 'MISS', 'the page computed before the invalidation must not be served after it');
    assert.equal(next.text, 'price 2');
  });

  it('a streamed miss whose end is slow in coming does not hold the other requests for its key', { timeout: 5_000 }, async () => {
    streamGate = gate();
    const slow = get(base, '/slow-stream');
    while ((runs.get('slow-stream') ?? 0) < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const other = await get(base, '/slow-stream');
    assert.equal(other.text, 'part one of run 2, the end');
    streamGate.open();
    assert.equal((await slow).text, 'part one of run 1, the end');
  });

  it('the background refresh of a page streamed with pipe ends (it is not stuck waiting for a drain)', { timeout: 10_000 }, async () => {
    await get(base, '/piped');
    const key = viewKey('/piped');
    const read = await shop.cache.read<string>(key);
    assert.equal(read.status, 'hit');
    await shop.cache.set(key, (read as { value: string }).value, { ttl: 1, grace: 60 });
    const now = Date.now;
    Date.now = () => now() + 2_000;
    try {
      const stale = await get(base, '/piped');
      assert.equal(stale.headers['x-cache'], 'STALE');
      await shop.close();
    } finally {
      Date.now = now;
    }
    const fresh = await get(base, '/piped');
    assert.equal(fresh.headers['x-cache'], 'HIT');
    assert.match(fresh.text, / run 2$/);
  });

  it('a query escape that is not UTF-8 is not cached (Flask would read %F1 and %E1 alike)', async () => {
    assert.equal((await get(base, '/search?city=Mu%F1oz')).headers['x-cache'], undefined);
    assert.equal((await get(base, '/search?city=Mu%E1oz')).headers['x-cache'], undefined);
    assert.equal((await get(base, '/search?city=Mu%C3%B1oz')).headers['x-cache'], 'MISS');
  });
});

describe('@larder/express: responses that say "do not reuse me" are not stored', () => {
  it('max-age=0, s-maxage=0 and Pragma: no-cache, as Django', async () => {
    const app = express();
    const shop = larder(app as unknown as ExpressAppLike, { cache: new Cache({ backend: new MemoryBackend(), logger: { warn() {} } }), logger: { warn() {} } });
    const headers: Record<string, Record<string, string>> = {
      '/zero': { 'cache-control': 'public, max-age=0' },
      '/shared-zero': { 'cache-control': 's-maxage=0' },
      '/pragma': { pragma: 'no-cache' },
      '/fine': { 'cache-control': 'public, max-age=60' },
    };
    for (const [path, set] of Object.entries(headers)) app.get(path, cacheResponse(), (_request, response) => void response.set(set).send(path));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const path of Object.keys(headers)) {
        await get(base, path);
        const second = await get(base, path);
        assert.equal(second.headers['x-cache'], path === '/fine' ? 'HIT' : 'MISS', path);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await shop.close();
      await shop.cache.close();
    }
  });
});
