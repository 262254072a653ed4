import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request as get } from '@larder/http/conformance';
import express from 'express';
import express4 from 'express4';
import { cacheResponse, larder, NotInstalledError, type ExpressAppLike } from '../src/index.js';
import { listen, quiet, stored } from './build-app.js';

// One cacheResponse() middleware serving several apps: the middleware remembers the app of its last
// request (a hit skips the lookups), so requests alternate between apps here, over real HTTP, and
// each must be answered from its own app's cache, a mounted sub-app's from its parent's.

for (const [name, makeApp] of [['Express 5', () => express()], ['Express 4', () => express4()]] as const) {
  describe(`@larder/express on ${name}: one cacheResponse() in several apps`, () => {
    it('alternating requests are each answered from their own app\'s cache; a sub-app uses its parent\'s; an app without Larder gets E_NOT_INSTALLED every time', { timeout: 10_000 }, async () => {
      const shared = cacheResponse({ ttl: 60 });
      const calls = { a: 0, b: 0, sub: 0, none: 0 };
      const first = makeApp();
      const second = makeApp();
      const sub = makeApp();
      const bare = makeApp();
      const larderA = larder(first as unknown as ExpressAppLike, { logger: quiet, setDefault: false });
      const larderB = larder(second as unknown as ExpressAppLike, { logger: quiet, setDefault: false });
      first.get('/page', shared, (_request, response) => void response.send(`a ${++calls.a}`));
      second.get('/page', shared, (_request, response) => void response.send(`b ${++calls.b}`));
      sub.get('/page', shared, (_request, response) => void response.send(`sub ${++calls.sub}`));
      first.use('/sub', sub);
      bare.get('/page', shared, (_request, response) => void response.send(`none ${++calls.none}`));
      const errors: unknown[] = [];
      bare.use((error: unknown, _request: express.Request, response: express.Response, _next: express.NextFunction) => {
        errors.push(error);
        response.status(500).send('no cache');
      });
      const servers = await Promise.all([first, second, bare].map((app) => listen(app as unknown as ExpressAppLike)));
      const [a, b, none] = servers.map((server) => server.base) as [string, string, string];
      try {
        const seen: string[] = [];
        for (let round = 0; round < 3; round++) {
          for (const [base, path] of [[a, '/page'], [b, '/page'], [a, '/sub/page'], [none, '/page']] as const) {
            const reply = await get(base, path);
            seen.push(`${reply.status} ${reply.headers['x-cache'] ?? '-'} ${reply.text}`);
          }
          // A miss answers before its page is written: wait for the pages, so the next rounds hit.
          await Promise.all([stored(larderA.cache, '/page'), stored(larderB.cache, '/page'), stored(larderA.cache, '/sub/page')]);
        }
        assert.deepEqual(seen.slice(0, 4), ['200 MISS a 1', '200 MISS b 1', '200 MISS sub 1', '500 - no cache']);
        for (let round = 1; round < 3; round++) assert.deepEqual(seen.slice(round * 4, round * 4 + 4), ['200 HIT a 1', '200 HIT b 1', '200 HIT sub 1', '500 - no cache'], seen.join('\n'));
        assert.deepEqual(calls, { a: 1, b: 1, sub: 1, none: 0 });
        assert.equal(errors.length, 3);
        assert.ok(errors.every((error) => error instanceof NotInstalledError));
        const hits = (stats: ReturnType<typeof larderA.viewCacheStats>) => stats.reduce((sum, row) => sum + row.hits, 0);
        assert.equal(hits(larderA.viewCacheStats()), 4, 'the app and its sub-app: two hits each');
        assert.equal(hits(larderB.viewCacheStats()), 2);
      } finally {
        await Promise.all(servers.map((server) => server.close()));
        await larderA.close();
        await larderB.close();
      }
    });
  });
}
