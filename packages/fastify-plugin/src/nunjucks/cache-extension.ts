import { makeTemplateFragmentKey, type Cache, type Ttl } from '@larder/core';
import { FragmentNames } from './fragment-names.js';
import type { BodyRenderer, NunjucksEnvironment, NunjucksNodes, NunjucksParser, RenderCallback } from './nunjucks-types.js';
import { SyncRenderError } from './sync-render-error.js';

export type { NunjucksEnvironment } from './nunjucks-types.js';

/**
 * The `{% cache ttl, name, varyOn... %}...{% endcache %}` tag (Flask-Caching's Jinja tag) for
 * nunjucks. The body is stored under `makeTemplateFragmentKey(name, varyOn)`; `'del'` as ttl
 * deletes the entry and renders afresh; a null ttl means the cache's default. Works with any
 * block delimiters (`tags: { blockStart: '<%', blockEnd: '%>' }`). Install it with
 * `addCacheExtension(env, cache)`, which also names unnamed fragments and refuses sync renders.
 */
export class CacheExtension {
  /** The tags this extension parses. */
  readonly tags = ['cache'];
  /** The body is rendered (and escaped) once, so its stored output is not escaped again. */
  readonly autoescape = false;
  readonly #cache: Cache;
  readonly #names = new FragmentNames();
  #syncRenders = 0;

  constructor(cache: Cache) {
    this.#cache = cache;
  }

  /** Adds the tag to `env`, records template names for unnamed fragments, and makes a synchronous render of the tag throw. */
  installOn(env: NunjucksEnvironment): this {
    env.addExtension('CacheExtension', this);
    this.#names.watch(env);
    this.#refuseSyncRenders(env, 'render');
    this.#refuseSyncRenders(env, 'renderString');
    return this;
  }

  /** nunjucks calls this at compile time with the parser positioned on the `cache` tag. */
  parse(parser: NunjucksParser, nodes: NunjucksNodes): unknown {
    const tag = parser.nextToken();
    const args = parser.parseSignature(null, true);
    parser.advanceAfterBlockEnd(tag.value);
    if (args.children.length < 2) {
      const name = this.#names.nameFor(parser.tokens.str, tag.lineno + 1);
      if (args.children.length === 0) args.children.push(new nodes.Literal(tag.lineno, tag.colno, null));
      args.children.push(new nodes.Literal(tag.lineno, tag.colno, name));
    }
    const body = parser.parseUntilBlocks('endcache');
    parser.advanceAfterBlockEnd();
    return new nodes.CallExtensionAsync(this, 'run', args, [body]);
  }

  /** nunjucks calls this at render time: (context, ttl, name, ...varyOn, body, callback). */
  run(_context: unknown, ...rest: unknown[]): void {
    const callback = rest.pop() as RenderCallback;
    const body = rest.pop() as BodyRenderer;
    if (this.#syncRenders > 0) throw new SyncRenderError();
    const [ttl, name, ...varyOn] = rest;
    this.#fragment(ttl, String(name), varyOn, body).then(
      (output) => callback(null, output),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  async #fragment(ttl: unknown, name: string, varyOn: unknown[], body: BodyRenderer): Promise<string> {
    const key = makeTemplateFragmentKey(name, varyOn);
    if (ttl === 'del') {
      await this.#cache.delete(key);
      return renderBody(body);
    }
    return this.#cache.getOrSet(key, () => renderBody(body), ttl === null || ttl === undefined ? undefined : (ttl as Ttl));
  }

  #refuseSyncRenders(env: NunjucksEnvironment, method: 'render' | 'renderString'): void {
    const original = env[method].bind(env);
    const guarded = (first: string, context?: object | RenderCallback, callback?: RenderCallback): string | null | void => {
      if (typeof context === 'function' || typeof callback === 'function') return original(first, context, callback);
      this.#syncRenders++;
      try {
        return original(first, context);
      } finally {
        this.#syncRenders--;
      }
    };
    env[method] = guarded;
  }
}

/** Adds the `{% cache %}` tag, backed by `cache`, to a nunjucks Environment; returns the extension. */
export function addCacheExtension(env: NunjucksEnvironment, cache: Cache): CacheExtension {
  return new CacheExtension(cache).installOn(env);
}

function renderBody(body: BodyRenderer): Promise<string> {
  return new Promise((resolve, reject) => body((error, output) => (error ? reject(error) : resolve(output ?? ''))));
}
