import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Cache, LarderError, MemcachedBackend, MemoryBackend, type CacheErrorEvent } from '@larder/core';
import { suiteCache } from '@larder/core/conformance';
import { MemcachedServer } from '@larder/testing';
import nunjucks from 'nunjucks';
import { addCacheExtension, FragmentCacheError, SyncRenderError } from '../src/index.js';
import { quiet, suiteBackends } from './suite-backends.js';

const templates = fileURLToPath(new URL('./templates', import.meta.url));

function environment(cache: Cache, options: nunjucks.ConfigureOptions = {}): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templates), { autoescape: true, ...options });
  addCacheExtension(env, cache);
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
    suiteCache(suite, (made) => (cache = made));

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

describe('memcached stopped: the tag keeps pages rendering', () => {
  const TILE = "{% cache 300, 'tile', id %}<p>tile {{ id }}, render {{ render() }}</p>{% endcache %}";

  /** A memcached server, a Cache on it (options on top of a short timeout) and a tag environment counting body renders. */
  async function setup(t: { after(fn: () => Promise<void>): void }, options: { ignoreErrors?: boolean } = {}) {
    const server = await MemcachedServer.start();
    const warnings: string[] = [];
    const cache = new Cache({
      backend: new MemcachedBackend({ servers: server.address, timeout: 300, connectTimeout: 300 }),
      logger: { warn: (message: unknown) => void warnings.push(String(message)) },
      ...options,
    });
    t.after(async () => {
      await cache.close();
      await server.stop();
    });
    const env = environment(cache);
    const counter = { renders: 0 };
    env.addGlobal('render', () => ++counter.renders);
    return { server, cache, env, counter, warnings };
  }

  it('with the default ignoreErrors, a stopped memcached is a miss: every render still succeeds, the failure is counted, emitted and logged', async (t) => {
    const { server, cache, env, counter, warnings } = await setup(t);
    const events: CacheErrorEvent[] = [];
    cache.on('error', (event) => void events.push(event));
    assert.equal(await renderString(env, TILE, { id: 1 }), '<p>tile 1, render 1</p>');
    assert.equal(await renderString(env, TILE, { id: 1 }), '<p>tile 1, render 1</p>', 'served from memcached');

    await server.stop();

    const errorsBefore = cache.stats().errors;
    assert.equal(await renderString(env, TILE, { id: 1 }), '<p>tile 1, render 2</p>', 'rendered afresh, not an error page');
    assert.equal(await renderString(env, TILE, { id: 1 }), '<p>tile 1, render 3</p>');
    assert.equal(counter.renders, 3);
    assert.ok(cache.stats().errors > errorsBefore, 'the failures are counted in stats()');
    assert.ok(events.length > 0, 'and emitted as error events');
    assert.ok(warnings.length > 0, 'and logged');
  });

  it('with ignoreErrors: false, the render fails with a FragmentCacheError: E_CONNECTION, a message naming no server, the server in the cause', async (t) => {
    const { server, env } = await setup(t, { ignoreErrors: false });
    assert.equal(await renderString(env, TILE, { id: 2 }), '<p>tile 2, render 1</p>');

    await server.stop();

    const error = await renderError(env, TILE, { id: 2 });
    assert.equal(codeOf(error), 'E_CONNECTION', String(error));
    assert.ok(error.cause instanceof FragmentCacheError);
    for (const detail of [`${server.host}:${server.port}`, String(server.port), 'memcached', 'ECONNREFUSED']) {
      assert.ok(!error.message.includes(detail), `${detail} in ${error.message}`);
    }
    const larderCause = error.cause.cause;
    assert.ok(larderCause instanceof LarderError);
    assert.match(String(larderCause.message), new RegExp(String(server.port)), 'the cause names the server, for the log');
  });
});
