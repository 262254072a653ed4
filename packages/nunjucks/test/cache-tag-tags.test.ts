import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeTemplateFragmentKey, type Cache } from '@larder/core';
import nunjucks from 'nunjucks';
import { addCacheExtension } from '../src/index.js';
import { quietCache, suiteBackends } from './suite-backends.js';

/** A string-only nunjucks environment whose `render()` global counts body renders. */
function environment(cache: Cache) {
  const env = new nunjucks.Environment(null, { autoescape: true });
  const counter = { renders: 0 };
  env.addGlobal('render', () => ++counter.renders);
  addCacheExtension(env, cache);
  return { env, counter };
}

function renderString(env: nunjucks.Environment, source: string, context: object = {}): Promise<string> {
  return new Promise((resolve, reject) => env.renderString(source, context, (error, output) => (error ? reject(error) : resolve(output ?? ''))));
}

/** The Larder code a render error carries, on itself or on its cause. */
function codeOf(error: unknown): unknown {
  const { code, cause } = error as { code?: unknown; cause?: { code?: unknown } };
  return code ?? cause?.code;
}

const PRODUCT = "{% cache 300, 'product', product.id, tags=['product:' + product.id] %}{{ product.name }} #{{ render() }}{% endcache %}";

for (const suite of suiteBackends) {
  describe(`{% cache ..., tags=[...] %} on ${suite.name}`, () => {
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

    it('invalidateTags re-renders the fragments carrying the tag, and only those; the key stays Flask-Caching\'s', async () => {
      const { env, counter } = environment(cache);
      const kettle = { id: 7, name: 'Kettle' };
      const toaster = { id: 8, name: 'Toaster' };
      assert.equal(await renderString(env, PRODUCT, { product: kettle }), 'Kettle #1');
      assert.equal(await renderString(env, PRODUCT, { product: toaster }), 'Toaster #2');
      assert.equal(await renderString(env, PRODUCT, { product: kettle }), 'Kettle #1', 'cached');
      assert.equal(await cache.get(makeTemplateFragmentKey('product', [7])), 'Kettle #1');
      assert.equal(await cache.invalidateTags(['product:7']), true);
      assert.equal(await renderString(env, PRODUCT, { product: { ...kettle, name: 'Kettle v2' } }), 'Kettle v2 #3', 're-rendered');
      assert.equal(await renderString(env, PRODUCT, { product: toaster }), 'Toaster #2', 'another tag stays cached');
      assert.equal(counter.renders, 3);
    });

    it('a soft invalidation serves the old fragment once while it re-renders in the background', async () => {
      const { env } = environment(cache);
      const source = "{% cache 300, 'soft-card', tags=['card'] %}card #{{ render() }}{% endcache %}";
      assert.equal(await renderString(env, source), 'card #1');
      await cache.invalidateTags(['card'], { soft: true, grace: 60 });
      assert.equal(await renderString(env, source), 'card #1', 'stale, not a miss');
      let next = await renderString(env, source);
      for (let i = 0; i < 40 && next !== 'card #2'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        next = await renderString(env, source);
      }
      assert.equal(next, 'card #2');
    });

    it('tags without a name or ttl: the fragment is named as an unnamed one is', async () => {
      const { env, counter } = environment(cache);
      const source = "<b>{% cache tags=['footer'] %}footer #{{ render() }}{% endcache %}</b>";
      assert.equal(await renderString(env, source), '<b>footer #1</b>');
      assert.equal(await renderString(env, source), '<b>footer #1</b>');
      await cache.invalidateTags(['footer']);
      assert.equal(await renderString(env, source), '<b>footer #2</b>');
      assert.equal(await renderString(env, "{% cache 60, tags=['x'] %}x #{{ render() }}{% endcache %}"), 'x #3');
      assert.equal(counter.renders, 3);
    });

    it('a misspelt keyword is E_INVALID_OPTION and tags that are not an array E_INVALID_ARGUMENT, before the body runs', async () => {
      const { env, counter } = environment(cache);
      const misspelt = await renderString(env, "{% cache 60, 'm', tag=['x'] %}{{ render() }}{% endcache %}").then(() => assert.fail('should fail'), (error: unknown) => error);
      assert.equal(codeOf(misspelt), 'E_INVALID_OPTION');
      const notArray = await renderString(env, "{% cache 60, 'n', tags='x' %}{{ render() }}{% endcache %}").then(() => assert.fail('should fail'), (error: unknown) => error);
      assert.equal(codeOf(notArray), 'E_INVALID_ARGUMENT');
      assert.equal(counter.renders, 0);
    });
  });
}
