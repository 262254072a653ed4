import { AsyncLocalStorage } from 'node:async_hooks';
import { LarderError } from '@larder/core';

/** One render started through a wrapped render method: whether it is synchronous, and the Larder errors its tags raised. */
export interface RenderState {
  /** True for `env.render(name, context)` without a callback, which the tag refuses. */
  readonly sync: boolean;
  /** The errors the render's tags handed nunjucks, in order. */
  readonly errors: LarderError[];
}

/**
 * Follows each render of an environment so that its errors keep their Larder code. nunjucks
 * turns an extension's error into a new `Template render error` that keeps only the message
 * (unless `dev: true`), so `code` would be lost; the tag records its errors in the render that
 * raised them (AsyncLocalStorage follows a render through nunjucks' callbacks and the cache's
 * promises), and the wrapped render method puts the code back on what nunjucks reports.
 */
export class RenderErrors {
  readonly #renders = new AsyncLocalStorage<RenderState>();

  /** The render the caller runs in, when it was started through a wrapped render method. */
  current(): RenderState | undefined {
    return this.#renders.getStore();
  }

  /** Runs `render` as one render; `render` receives its state. */
  run<T>(sync: boolean, render: (state: RenderState) => T): T {
    const state: RenderState = { sync, errors: [] };
    return this.#renders.run(state, render, state);
  }
}

/**
 * Gives the error nunjucks reports for a render the `code` of the tag error it stands for, and
 * that error as `cause` (unless nunjucks already set one, as it does with `dev: true`). Errors
 * that came from elsewhere (the template body, the loader) are returned untouched.
 */
export function restoreCode(error: Error, state: RenderState): Error {
  if (error instanceof LarderError) return error;
  const source = state.errors.find((tagError) => error === tagError || error.cause === tagError || error.message.includes(`${tagError.name}: ${tagError.message}`));
  if (source === undefined) return error;
  if ((error as { code?: unknown }).code === undefined) {
    Object.defineProperty(error, 'code', { value: source.code, enumerable: true, writable: true, configurable: true });
  }
  if (error.cause === undefined) {
    Object.defineProperty(error, 'cause', { value: source, enumerable: false, writable: true, configurable: true });
  }
  return error;
}
