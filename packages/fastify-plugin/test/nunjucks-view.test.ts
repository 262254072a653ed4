import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Cache, makeTemplateFragmentKey, MemcachedBackend } from '@larder/core';
import * as larderNunjucks from '@larder/nunjucks';
import { MemcachedServer } from '@larder/testing';
import fastifyView from '@fastify/view';
import Fastify, { type FastifyInstance } from 'fastify';
import nunjucks from 'nunjucks';
import larder, { addCacheExtension, CacheExtension, FragmentCacheError, SyncRenderError } from '../src/index.js';
import { quiet } from './build-app.js';

// The tag itself is @larder/nunjucks's (tested there, without Fastify); these are its Fastify
// integration: the re-export, @fastify/view, the plugin's `nunjucks` option, and a 500 over HTTP.
const templates = fileURLToPath(new URL('./templates', import.meta.url));

function render(env: nunjucks.Environment, name: string, context: object): Promise<string> {
  return new Promise((resolve, reject) => env.render(name, context, (error, output) => (error ? reject(error) : resolve(output ?? ''))));
}

describe('nunjucks {% cache %} tag in Fastify', () => {
  it('@larder/fastify-plugin re-exports the very same tag and errors as @larder/nunjucks', () => {
    assert.equal(addCacheExtension, larderNunjucks.addCacheExtension);
    assert.equal(CacheExtension, larderNunjucks.CacheExtension);
    assert.equal(SyncRenderError, larderNunjucks.SyncRenderError);
    assert.equal(FragmentCacheError, larderNunjucks.FragmentCacheError);
  });

  it('works under @fastify/view, with the tag added in onConfigure and <% %> delimiters', async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    await app.register(larder);
    let renders = 0;
    await app.register(fastifyView, {
      engine: { nunjucks },
      root: templates,
      options: {
        tags: { blockStart: '<%', blockEnd: '%>' },
        onConfigure: (env: nunjucks.Environment) => {
          env.addGlobal('render', () => ++renders);
          addCacheExtension(env, app.cache);
        },
      },
    });
    app.get('/', async (_request, reply) => reply.view('percent.njk', { user: { id: 5, name: 'V' } }));
    const first = await app.inject('/');
    const second = await app.inject('/');
    assert.equal(first.statusCode, 200);
    assert.equal(first.body.trim(), '<i>V #1</i>');
    assert.equal(second.body, first.body);
    assert.equal(renders, 1);
  });

  it('the plugin adds the tag to the environment given as nunjucks', async (t) => {
    const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templates));
    env.addGlobal('render', () => 1);
    const app = Fastify();
    t.after(() => app.close());
    await app.register(larder, { nunjucks: env });
    const output = await render(env, 'sidebar.njk', { user: { id: 9, name: 'N' } });
    assert.match(output, /N #1/);
    assert.equal(await app.cache.get(makeTemplateFragmentKey('sidebar', [9])), '<li>N #1</li>');
  });
});

/** A Fastify app with a logger writing into `lines`, listening on 127.0.0.1; its base URL. */
async function listeningApp(register: (app: FastifyInstance) => Promise<void>): Promise<{ app: FastifyInstance; url: string; lines: string[] }> {
  const lines: string[] = [];
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => void lines.push(line) } } });
  await register(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { app, url: `http://127.0.0.1:${address.port}`, lines };
}

describe('memcached down, over real HTTP: responses never name the server', () => {
  it('a {% cache %} tag on a cache with ignoreErrors: false: the 500 body has no host, port or "memcached"; the log has', async (t) => {
    const server = await MemcachedServer.start();
    const cache = new Cache({ backend: new MemcachedBackend({ servers: server.address, timeout: 300, connectTimeout: 300 }), ignoreErrors: false, logger: quiet });
    const { app, url, lines } = await listeningApp(async (app) => {
      await app.register(larder, { cache });
      await app.register(fastifyView, {
        engine: { nunjucks },
        root: templates,
        options: {
          onConfigure: (env: nunjucks.Environment) => {
            env.addGlobal('render', () => 1);
            addCacheExtension(env, app.cache);
          },
        },
      });
      app.get('/', async (_request, reply) => reply.view('sidebar.njk', { user: { id: 5, name: 'V' } }));
      app.get('/page', { config: { cache: true } }, async () => 'a cached page');
    });
    t.after(async () => {
      await app.close();
      await cache.close();
      await server.stop();
    });
    assert.equal((await fetch(`${url}/`)).status, 200);

    await server.stop();

    const response = await fetch(`${url}/`);
    const body = await response.text();
    assert.equal(response.status, 500);
    for (const detail of [server.host, String(server.port), 'memcached', 'ECONNREFUSED']) assert.ok(!body.includes(detail), `${detail} in ${body}`);
    assert.equal((JSON.parse(body) as { code?: string }).code, 'E_CONNECTION', 'the code is kept');
    assert.ok(
      lines.some((line) => line.includes(`${server.host}:${server.port}`)),
      `the log names the server:\n${lines.join('')}`,
    );

    const page = await fetch(`${url}/page`);
    const pageBody = await page.text();
    for (const detail of [server.host, String(server.port), 'memcached']) assert.ok(!pageBody.includes(detail), `${detail} in ${pageBody}`);
  });
});
