import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { makeTemplateFragmentKey, MemoryBackend, type Cache } from '@larder/core';
import fastifyView from '@fastify/view';
import Fastify from 'fastify';
import nunjucks from 'nunjucks';
import larder, { addCacheExtension, SyncRenderError, type NunjucksEnvironment } from '../src/index.js';
import { quietCache, suiteBackends } from './build-app.js';

const templates = fileURLToPath(new URL('./templates', import.meta.url));

/** A nunjucks environment on the test templates whose `render()` global counts body renders. */
function environment(cache: Cache, tags?: nunjucks.ConfigureOptions['tags']) {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templates), tags ? { tags, autoescape: true } : { autoescape: true });
  const counter = { renders: 0 };
  env.addGlobal('render', () => ++counter.renders);
  addCacheExtension(env as unknown as NunjucksEnvironment, cache);
  return { env, counter };
}

function render(env: nunjucks.Environment, name: string, context: object): Promise<string> {
  return new Promise((resolve, reject) => env.render(name, context, (error, output) => (error ? reject(error) : resolve(output ?? ''))));
}

for (const suite of suiteBackends) {
  describe(`nunjucks {% cache %} tag on ${suite.name}`, () => {
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

    it("renders the body once, stored under Flask-Caching's fragment key", async () => {
      const { env, counter } = environment(cache);
      const user = { id: 7, name: 'Ada <admin>' };
      const first = await render(env, 'sidebar.njk', { user });
      const second = await render(env, 'sidebar.njk', { user: { ...user, name: 'changed' } });
      assert.equal(first.trim(), '<ul><li>Ada &lt;admin&gt; #1</li></ul>');
      assert.equal(second, first, 'the cached fragment, escaped once');
      assert.equal(counter.renders, 1);
      assert.equal(makeTemplateFragmentKey('sidebar', [7]), '_template_fragment_cache_sidebar_7');
      assert.equal(await cache.get('_template_fragment_cache_sidebar_7'), '<li>Ada &lt;admin&gt; #1</li>');
    });

    it('keys vary on the vary-on values', async () => {
      const { env, counter } = environment(cache);
      await render(env, 'sidebar.njk', { user: { id: 100, name: 'A' } });
      const other = await render(env, 'sidebar.njk', { user: { id: 101, name: 'B' } });
      assert.match(other, /B #2/);
      assert.equal(counter.renders, 2);
    });

    it("'del' as ttl deletes the fragment and renders it afresh", async () => {
      const { env, counter } = environment(cache);
      await render(env, 'sidebar.njk', { user: { id: 200, name: 'A' } });
      const deleted = await render(env, 'del.njk', { user: { id: 200, name: 'A' } });
      assert.match(deleted, /A #2/);
      assert.equal(await cache.get(makeTemplateFragmentKey('sidebar', [200])), undefined);
      const again = await render(env, 'sidebar.njk', { user: { id: 200, name: 'A' } });
      assert.match(again, /A #3/);
    });

    it('works with <% %> block delimiters', async () => {
      const { env, counter } = environment(cache, { blockStart: '<%', blockEnd: '%>' });
      const first = await render(env, 'percent.njk', { user: { id: 1, name: 'P' } });
      const second = await render(env, 'percent.njk', { user: { id: 1, name: 'P' } });
      assert.equal(first.trim(), '<i>P #1</i>');
      assert.equal(second, first);
      assert.equal(counter.renders, 1);
      assert.equal(await cache.get(makeTemplateFragmentKey('percent', [1])), '<i>P #1</i>');
    });

    it('without a name, the fragment is named by template name and line', async () => {
      const { env } = environment(cache);
      await render(env, 'unnamed.njk', {});
      assert.equal(await cache.get(makeTemplateFragmentKey('unnamed.njk2')), '<b>1</b>');
    });

    it('concurrent renders of one fragment render its body once', async () => {
      const { env, counter } = environment(cache);
      const outputs = await Promise.all(Array.from({ length: 20 }, () => render(env, 'sidebar.njk', { user: { id: 300, name: 'C' } })));
      assert.equal(counter.renders, 1);
      assert.equal(new Set(outputs).size, 1);
    });
  });
}

describe('nunjucks {% cache %} tag wiring', () => {
  it('a synchronous render throws a SyncRenderError that says how to render', () => {
    const { env } = environment(quietCache(new MemoryBackend()));
    assert.throws(() => env.render('sidebar.njk', { user: { id: 1, name: 'x' } }), (error: Error) => {
      assert.match(error.message, /render with a callback/);
      return error instanceof SyncRenderError || /E_SYNC_RENDER|SyncRenderError|asynchronous cache/.test(String(error));
    });
  });

  it('renderString templates work too, named by a hash of their source', async () => {
    const cache = quietCache(new MemoryBackend());
    const { env } = environment(cache);
    const source = '{% cache 30 %}[{{ render() }}]{% endcache %}';
    const output = await new Promise<string>((resolve, reject) => env.renderString(source, {}, (error, html) => (error ? reject(error) : resolve(html ?? ''))));
    assert.equal(output, '[1]');
    const again = await new Promise<string>((resolve, reject) => env.renderString(source, {}, (error, html) => (error ? reject(error) : resolve(html ?? ''))));
    assert.equal(again, '[1]');
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
          addCacheExtension(env as unknown as NunjucksEnvironment, app.cache);
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
    await app.register(larder, { nunjucks: env as unknown as NunjucksEnvironment });
    const output = await render(env, 'sidebar.njk', { user: { id: 9, name: 'N' } });
    assert.match(output, /N #1/);
    assert.equal(await app.cache.get(makeTemplateFragmentKey('sidebar', [9])), '<li>N #1</li>');
  });
});
