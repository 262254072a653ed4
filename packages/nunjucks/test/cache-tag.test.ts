import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { makeTemplateFragmentKey, MemcachedBackend, MemoryBackend, type Cache } from '@larder/core';
import { suiteCache } from '@larder/core/conformance';
import { MemcachedServer, metaTtl } from '@larder/testing';
import nunjucks from 'nunjucks';
import { addCacheExtension, SyncRenderError } from '../src/index.js';
import { quietCache, suiteBackends } from './suite-backends.js';

// Plain nunjucks, no web framework: the tag on an Environment of its own.
const templates = fileURLToPath(new URL('./templates', import.meta.url));

/** A nunjucks environment on the test templates whose `render()` global counts body renders. */
function environment(cache: Cache, tags?: nunjucks.ConfigureOptions['tags']) {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templates), tags ? { tags, autoescape: true } : { autoescape: true });
  const counter = { renders: 0 };
  env.addGlobal('render', () => ++counter.renders);
  addCacheExtension(env, cache);
  return { env, counter };
}

function render(env: nunjucks.Environment, name: string, context: object): Promise<string> {
  return new Promise((resolve, reject) => env.render(name, context, (error, output) => (error ? reject(error) : resolve(output ?? ''))));
}

function renderString(env: nunjucks.Environment, source: string, context: object = {}): Promise<string> {
  return new Promise((resolve, reject) => env.renderString(source, context, (error, output) => (error ? reject(error) : resolve(output ?? ''))));
}

for (const suite of suiteBackends) {
  describe(`nunjucks {% cache %} tag on ${suite.name}`, () => {
    let cache: Cache;
    suiteCache(suite, (made) => (cache = made));

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

    it("keys are Flask-Caching's: the name alone, or the name and each vary-on value joined with '_'", async () => {
      const { env } = environment(cache);
      assert.equal(await renderString(env, "{% cache 60, 'footer' %}<footer>{{ render() }}</footer>{% endcache %}"), '<footer>1</footer>');
      assert.equal(await renderString(env, "{% cache 60, 'card', user.id, lang, page %}[{{ user.id }} {{ lang }}]{% endcache %}", { user: { id: 7 }, lang: 'en', page: 2 }), '[7 en]');
      assert.equal(await cache.get('_template_fragment_cache_footer'), '<footer>1</footer>');
      assert.equal(await cache.get('_template_fragment_cache_card_7_en_2'), '[7 en]');
      assert.equal(makeTemplateFragmentKey('card', [7, 'en', 2]), '_template_fragment_cache_card_7_en_2');
    });

    it("a cache's keyPrefix comes first, as Flask-Caching's CACHE_KEY_PREFIX does", async () => {
      const prefixed = quietCache(cache.backend, { keyPrefix: 'shop:' });
      const { env } = environment(prefixed);
      await renderString(env, "{% cache 60, 'banner', 3 %}<b>sale</b>{% endcache %}");
      assert.equal(await cache.get('shop:_template_fragment_cache_banner_3'), '<b>sale</b>', 'read without the prefix by a cache on the same backend');
    });

    it('keys vary on the vary-on values', async () => {
      const { env, counter } = environment(cache);
      await render(env, 'sidebar.njk', { user: { id: 100, name: 'A' } });
      const other = await render(env, 'sidebar.njk', { user: { id: 101, name: 'B' } });
      assert.match(other, /B #2/);
      assert.equal(counter.renders, 2);
    });

    it("'del' as ttl deletes the fragment and renders it afresh", async () => {
      const { env } = environment(cache);
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

/** [the tag's ttl argument, the seconds it stands for on a cache whose defaultTtl is 45; 0 = never expires]. */
const TTLS: [string, number][] = [
  ['60', 60],
  ["'2m'", 120],
  ['none', 45],
  ['0', 0],
];

describe('{% cache %} ttl', () => {
  for (const [ttl, seconds] of TTLS) {
    it(`ttl ${ttl}: the fragment lives ${seconds === 0 ? 'until deleted' : `${seconds} s`} (memory backend, clock moved by hand)`, async () => {
      let now = 1_000_000;
      const cache = quietCache(new MemoryBackend({ now: () => now }), { defaultTtl: 45 });
      const { env, counter } = environment(cache);
      const source = `{% cache ${ttl}, 'clock' %}<i>{{ render() }}</i>{% endcache %}`;
      assert.equal(await renderString(env, source), '<i>1</i>');
      now += (seconds === 0 ? 30 * 86_400 : seconds - 1) * 1000;
      assert.equal(await renderString(env, source), '<i>1</i>', 'still cached');
      now += 2000;
      assert.equal(await renderString(env, source), seconds === 0 ? '<i>1</i>' : '<i>2</i>', seconds === 0 ? 'never expires' : 'expired, rendered afresh');
      await cache.close();
    });
  }

  it('memcached itself holds each fragment for the ttl the tag names', async (t) => {
    const server = await MemcachedServer.start();
    const cache = quietCache(new MemcachedBackend({ servers: server.address, timeout: 300 }), { defaultTtl: 45 });
    t.after(async () => {
      await cache.close();
      await server.stop();
    });
    const { env } = environment(cache);
    for (const [ttl, seconds] of TTLS) {
      const name = `ttl-${seconds}`;
      await renderString(env, `{% cache ${ttl}, '${name}' %}x{% endcache %}`);
      const remaining = await metaTtl(server.host, server.port, cache.backendKey(makeTemplateFragmentKey(name)));
      if (seconds === 0) assert.equal(remaining, -1, `ttl ${ttl}: never expires`);
      else assert.ok(remaining !== undefined && remaining <= seconds && remaining >= seconds - 2, `ttl ${ttl}: memcached says ${remaining} s`);
    }
  });
});

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
    assert.equal(await renderString(env, source), '[1]');
    assert.equal(await renderString(env, source), '[1]');
  });

  it('addCacheExtension takes a nunjucks Environment as it is typed, and returns the installed extension', () => {
    const env = new nunjucks.Environment();
    const extension = addCacheExtension(env, quietCache(new MemoryBackend()));
    assert.equal(env.getExtension('CacheExtension'), extension);
    assert.deepEqual(extension.tags, ['cache']);
  });
});
