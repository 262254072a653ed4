import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Cache, LarderError, MemcachedBackend, MemoryBackend } from '@larder/core';
import { MemcachedServer } from '@larder/testing';
import fastifyView from '@fastify/view';
import Fastify, { type FastifyInstance } from 'fastify';
import nunjucks from 'nunjucks';
import larder, { addCacheExtension, SyncRenderError, type NunjucksEnvironment } from '../src/index.js';
import { quiet, quietCache, suiteBackends } from './build-app.js';

const templates = fileURLToPath(new URL('./templates', import.meta.url));

function environment(cache: Cache, options: nunjucks.ConfigureOptions = {}): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templates), { autoescape: true, ...options });
  addCacheExtension(env as unknown as NunjucksEnvironment, cache);
  return env;
}

function renderString(env: nunjucks.Environment, source: string, context: object): Promise<string> {
  return new Promise((resolve, reject) => env.renderString(source, context, (error, output) => (error ? reject(error) : resolve(output ?? ''))));
}

/** The error a render hands its callback. */
function renderError(env: nunjucks.Environment, source: string, context: object): Promise<Error & { code?: unknown }> {
  return renderString(env, source, context).then(
    () => assert.fail('the render should fail'),
    (error: Error) => error,
  );
}

/** The Larder code an error carries, on itself or on its cause. */
function codeOf(error: unknown): unknown {
  const { code, cause } = error as { code?: unknown; cause?: { code?: unknown } };
  return code ?? cause?.code;
}

const CARD = "{% cache 300, 'card', user %}<p>{{ user.name }}</p>{% endcache %}";

for (const suite of suiteBackends) {
  describe(`{% cache %} vary-on values on ${suite.name}`, () => {
    let cache: Cache;
    let dispose: () => Promise<void>;
    before(async () => {
      const made = await suite.make();
      dispose = made.dispose;
      cache = quietCache(made.backend);
    });
    after(async () => {
      await cache.close();
      await dispose();
    });

    it("alice's and bob's cards, varying on the user object, are two fragments", async () => {
      const env = environment(cache);
      const alice = await renderString(env, CARD, { user: { id: 1, name: 'alice' } });
      const bob = await renderString(env, CARD, { user: { id: 2, name: 'bob' } });
      assert.equal(alice, '<p>alice</p>');
      assert.equal(bob, '<p>bob</p>', 'bob never sees alice’s card');
      assert.equal(await renderString(env, CARD, { user: { name: 'alice', id: 1 } }), '<p>alice</p>', 'the same user hits');
    });

    it("a user named 'a_b' and a list ['a', 'b'] are two fragments; a guest is not a user named 'undefined'", async () => {
      const env = environment(cache);
      const pair = "{% cache 300, 'pair', a, b %}[{{ label }}]{% endcache %}";
      assert.equal(await renderString(env, pair, { a: 'x_y', b: 'z', label: 'one' }), '[one]');
      assert.equal(await renderString(env, pair, { a: 'x', b: 'y_z', label: 'two' }), '[two]');
      const greeting = "{% cache 300, 'greeting', user %}{{ 'hello ' + (user or 'guest') }}{% endcache %}";
      assert.equal(await renderString(env, greeting, {}), 'hello guest');
      assert.equal(await renderString(env, greeting, { user: 'undefined' }), 'hello undefined');
    });

    it('a vary-on value without a stable form fails the render with E_INVALID_ARGUMENT, and nothing is stored', async () => {
      const env = environment(cache);
      const { sets } = cache.stats();
      const error = await renderError(env, CARD, { user: new Map([['name', 'carol']]) });
      assert.equal(cache.stats().sets, sets);
      assert.equal(codeOf(error), 'E_INVALID_ARGUMENT');
      assert.ok(error.cause instanceof LarderError);
      assert.match(error.message, /no stable key form/);
    });
  });
}

describe('{% cache %} errors carry their Larder code through nunjucks', () => {
  it('SyncRenderError is a LarderError with code E_SYNC_RENDER', () => {
    const error = new SyncRenderError();
    assert.ok(error instanceof LarderError);
    assert.equal(error.code, 'E_SYNC_RENDER');
    assert.equal(error.name, 'SyncRenderError');
  });

  for (const dev of [false, true]) {
    it(`a synchronous render throws an error whose code is E_SYNC_RENDER (dev: ${dev})`, () => {
      const env = environment(new Cache({ backend: new MemoryBackend(), logger: quiet }), { dev });
      assert.throws(() => env.render('sidebar.njk', { user: { id: 1, name: 'x' } }), (error: Error) => {
        assert.equal(codeOf(error), 'E_SYNC_RENDER', String(error));
        assert.ok(error.cause instanceof SyncRenderError);
        assert.match(error.message, /render with a callback/);
        return true;
      });
      assert.throws(() => env.renderString(CARD, { user: 1 }), (error: Error) => codeOf(error) === 'E_SYNC_RENDER');
    });

    it(`a bad ttl in the tag fails the render with E_INVALID_ARGUMENT, before the body runs (dev: ${dev})`, async () => {
      const env = environment(new Cache({ backend: new MemoryBackend(), logger: quiet }), { dev });
      let renders = 0;
      env.addGlobal('render', () => ++renders);
      for (const ttl of ["'soon'", '-5', '{}']) {
        const error = await renderError(env, `{% cache ${ttl}, 'bad' %}{{ render() }}{% endcache %}`, {});
        assert.equal(codeOf(error), 'E_INVALID_ARGUMENT', `ttl ${ttl}: ${String(error)}`);
        assert.ok(error.cause instanceof LarderError);
      }
      assert.equal(renders, 0);
    });
  }

  it('the code survives an include and a renderString with options', async () => {
    const env = environment(new Cache({ backend: new MemoryBackend(), logger: quiet }));
    // nunjucks' renderString takes options before the callback, which @types/nunjucks leaves out.
    const withOptions = env.renderString.bind(env) as unknown as (source: string, context: object, options: object, callback: (error: Error | null) => void) => void;
    const viaOptions = await new Promise<Error | null>((resolve) => withOptions("{% cache 'x', 'y' %}.{% endcache %}", {}, { path: 'inline.njk' }, resolve));
    assert.equal(codeOf(viaOptions), 'E_INVALID_ARGUMENT');
    const viaInclude = await renderError(env, "{% include 'sidebar.njk' %}", { user: { id: () => 1 } });
    assert.equal(codeOf(viaInclude), 'E_INVALID_ARGUMENT');
  });

  it('an error of the body itself is left as nunjucks reports it', async () => {
    const env = environment(new Cache({ backend: new MemoryBackend(), logger: quiet }));
    const error = await renderError(env, "{% cache 30, 'broken' %}{{ missing() }}{% endcache %}", {});
    assert.equal(codeOf(error), undefined);
    assert.match(error.message, /missing/);
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
            addCacheExtension(env as unknown as NunjucksEnvironment, app.cache);
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
