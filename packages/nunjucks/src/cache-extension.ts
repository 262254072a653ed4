import { InvalidArgumentError, InvalidOptionError, isAvailabilityError, LarderError, makeTemplateFragmentKey, parseTtl, type Cache, type Ttl } from '@larder/core';
import { FragmentCacheError } from './fragment-cache-error.js';
import { FragmentNames } from './fragment-names.js';
import type { BodyRenderer, NunjucksEnvironment, NunjucksNodes, NunjucksParser, RenderCallback } from './nunjucks-types.js';
import { RenderErrors, restoreCode } from './render-errors.js';
import { SyncRenderError } from './sync-render-error.js';

export type { NunjucksEnvironment } from './nunjucks-types.js';

/**
 * The `{% cache ttl, name, varyOn..., tags=[...] %}...{% endcache %}` tag (Flask-Caching's Jinja
 * tag) for nunjucks. The body is stored under `makeTemplateFragmentKey(name, varyOn)`, stamped
 * with its `tags` when given (so `cache.invalidateTags` reaches it); `'del'` as ttl
 * deletes the entry and renders afresh; a null ttl means the cache's default. Works with any
 * block delimiters (`tags: { blockStart: '<%', blockEnd: '%>' }`). Install it with
 * `addCacheExtension(env, cache)`, which also names unnamed fragments and refuses sync renders.
 * A render the tag fails (a sync render, a bad ttl or vary-on value, a cache with
 * `ignoreErrors: false` that is down) reports an error whose `code` is the Larder code and whose
 * `cause` is the Larder error; cache failures get a generic message, the server named only in the cause.
 */
export class CacheExtension {
  /** The tags this extension parses. */
  readonly tags = ['cache'];
  /** The body is rendered (and escaped) once, so its stored output is not escaped again. */
  readonly autoescape = false;
  readonly #cache: Cache;
  readonly #names = new FragmentNames();
  readonly #renders = new RenderErrors();

  constructor(cache: Cache) {
    this.#cache = cache;
  }

  /**
   * Adds the tag to `env`, records template names for unnamed fragments, makes a synchronous
   * render of the tag throw, and gives the errors of `env.render`/`env.renderString` their Larder codes.
   */
  installOn(env: NunjucksEnvironment): this {
    env.addExtension('CacheExtension', this);
    this.#names.watch(env);
    this.#followRenders(env, 'render');
    this.#followRenders(env, 'renderString');
    return this;
  }

  /** nunjucks calls this at compile time with the parser positioned on the `cache` tag. */
  parse(parser: NunjucksParser, nodes: NunjucksNodes): unknown {
    const tag = parser.nextToken();
    const args = parser.parseSignature(null, true);
    parser.advanceAfterBlockEnd(tag.value);
    // Keyword arguments (`tags=[...]`) come last, as one node: the defaults go before it.
    const keywords = args.children.findIndex(isKeywordNode);
    const positional = keywords === -1 ? args.children.length : keywords;
    if (positional < 2) {
      const name = this.#names.nameFor(parser.tokens.str, tag.lineno + 1);
      const defaults = positional === 0 ? [new nodes.Literal(tag.lineno, tag.colno, null)] : [];
      defaults.push(new nodes.Literal(tag.lineno, tag.colno, name));
      args.children.splice(positional, 0, ...defaults);
    }
    const body = parser.parseUntilBlocks('endcache');
    parser.advanceAfterBlockEnd();
    return new nodes.CallExtensionAsync(this, 'run', args, [body]);
  }

  /** nunjucks calls this at render time: (context, ttl, name, ...varyOn, body, callback). */
  run(_context: unknown, ...rest: unknown[]): void {
    const callback = rest.pop() as RenderCallback;
    const body = rest.pop() as BodyRenderer;
    const render = this.#renders.current();
    if (render?.sync) {
      const error = new SyncRenderError();
      render.errors.push(error);
      throw error;
    }
    const keywords = isKeywordArgs(rest[rest.length - 1]) ? (rest.pop() as Record<string, unknown>) : undefined;
    const [ttl, name, ...varyOn] = rest;
    this.#fragment(ttl, name, varyOn, body, keywords).then(
      (output) => callback(null, output),
      (error: unknown) => {
        const reported = error instanceof Error ? error : new Error(String(error));
        if (render && reported instanceof LarderError) render.errors.push(reported);
        callback(reported);
      },
    );
  }

  async #fragment(ttl: unknown, name: unknown, varyOn: unknown[], body: BodyRenderer, keywords: Record<string, unknown> | undefined): Promise<string> {
    const tags = fragmentTags(keywords);
    const key = makeTemplateFragmentKey(typeof name === 'number' ? String(name) : (name as string), varyOn);
    if (ttl === 'del') {
      await hidingServers(() => this.#cache.delete(key));
      return renderBody(body);
    }
    // Checked before the cache is read, so a bad ttl fails every render, not only the misses.
    const seconds = ttl === null || ttl === undefined ? undefined : parseTtl(ttl as Ttl, 'the {% cache %} ttl');
    const option = tags === undefined ? seconds : { ...(seconds === undefined ? {} : { ttl: seconds }), tags };
    return hidingServers(() => this.#cache.getOrSet(key, () => renderBody(body), option));
  }

  /** Wraps `env[method]`: a call without a callback is a sync render; either way its error gets its Larder code back. */
  #followRenders(env: NunjucksEnvironment, method: 'render' | 'renderString'): void {
    const original = env[method].bind(env) as (...args: unknown[]) => string | null | void;
    const renders = this.#renders;
    env[method] = (...args: unknown[]): string | null | void => {
      // render(name, [context], callback) and renderString(source, [context], [options], callback).
      const at = args.findIndex((arg) => typeof arg === 'function');
      if (at === -1) {
        return renders.run(true, (state) => {
          try {
            return original(...args);
          } catch (error) {
            throw error instanceof Error ? restoreCode(error, state) : error;
          }
        });
      }
      const callback = args[at] as RenderCallback;
      return renders.run(false, (state) => {
        args[at] = (error: Error | null, output?: string | null) => callback(error && restoreCode(error, state), output);
        return original(...args);
      });
    };
  }
}

/** Adds the `{% cache %}` tag, backed by `cache`, to a nunjucks Environment; returns the extension. */
export function addCacheExtension(env: NunjucksEnvironment, cache: Cache): CacheExtension {
  return new CacheExtension(cache).installOn(env);
}

/** True for the node nunjucks parses `name=value` arguments into. */
function isKeywordNode(node: unknown): boolean {
  return (node as { typename?: unknown } | null)?.typename === 'KeywordArgs';
}

/** True for the object nunjucks passes `name=value` arguments as (`runtime.makeKeywordArgs`). */
function isKeywordArgs(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, '__keywords');
}

/**
 * The fragment's `tags=[...]` (checked by getOrSet: an array of strings); undefined when not
 * given. Any other keyword is E_INVALID_OPTION, so a misspelt `tag=` never goes unnoticed.
 */
function fragmentTags(keywords: Record<string, unknown> | undefined): readonly string[] | undefined {
  if (keywords === undefined) return undefined;
  for (const name of Object.keys(keywords)) {
    if (name !== 'tags' && name !== '__keywords') throw new InvalidOptionError(name, 'is not an argument of the {% cache %} tag (it takes ttl, name, vary-on values, and tags=[...])');
  }
  const tags = keywords.tags;
  if (tags === undefined || tags === null) return undefined;
  if (!Array.isArray(tags)) throw new InvalidArgumentError(`the {% cache %} tags must be an array of strings (tags=['product:7']), got ${typeof tags}`);
  return tags as string[];
}

function renderBody(body: BodyRenderer): Promise<string> {
  return new Promise((resolve, reject) => body((error, output) => (error ? reject(error) : resolve(output ?? ''))));
}

/**
 * Runs a cache call; a failure of the cache itself (its message names the server) becomes a
 * FragmentCacheError with a generic message, since a render error may end up in an HTTP response.
 */
async function hidingServers<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof LarderError && isAvailabilityError(error) && !(error instanceof FragmentCacheError)) throw new FragmentCacheError(error);
    throw error;
  }
}
