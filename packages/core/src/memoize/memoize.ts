import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import type { RecomputeOptions } from '../recompute/recompute-options.js';
import { hashArguments } from './argument-hash.js';
import { getDefaultCache } from './default-cache.js';
import { functionIdentity } from './function-identity.js';
import type { MemoizeCache } from './memoize-cache.js';
import { checkMemoizeOptions, type MemoizeOptions } from './memoize-options.js';

export type { MemoizeOptions } from './memoize-options.js';

interface MemoizeState {
  readonly identity: string;
  readonly cache: () => MemoizeCache;
}

const states = new WeakMap<object, MemoizeState>();

/** A memoized function: always async, since the cache is. */
export type Memoized<Args extends unknown[], Result> = (...args: Args) => Promise<Awaited<Result>>;

/** Wraps `fn` so that results are cached by a hash of its arguments (and `this.cacheId`, when set). */
export function memoizeFunction<Args extends unknown[], Result>(
  fn: (...args: Args) => Result,
  options: MemoizeOptions<Args, Result> = {},
  qualifiedName: string = fn.name,
): Memoized<Args, Result> {
  if (typeof fn !== 'function') throw new InvalidArgumentError('memoize wraps a function');
  // Checked now, so a bad option is an error where the function is wrapped, not at its first call.
  checkMemoizeOptions(options);
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const identity = functionIdentity(options.name, qualifiedName, warn);
  const tags = options.tags;
  const { grace, staleIfError, timeout, lock } = options;
  const recompute: RecomputeOptions = {
    ...(grace === undefined ? {} : { grace }),
    ...(staleIfError === undefined ? {} : { staleIfError }),
    ...(timeout === undefined ? {} : { timeout }),
    ...(lock === undefined ? {} : { lock }),
  };
  const cache = () => options.cache ?? getDefaultCache();

  const memoized = async function (this: unknown, ...args: Args): Promise<Awaited<Result>> {
    if (options.unless?.(...args)) return (await fn.apply(this, args)) as Awaited<Result>;
    const target = cache();
    const version = await currentVersion(target, identity);
    const key = resultKey(identity, version, this, args);
    // The cache's getOrSet holds the single-flight, keyed on its full backend key.
    const compute = async (): Promise<Awaited<Result>> => (await fn.apply(this, args)) as Awaited<Result>;
    const callTags = typeof tags === 'function' ? tags(...args) : tags;
    return target.getOrSet(key, compute, {
      ...recompute,
      ...(callTags === undefined ? {} : { tags: callTags }),
      ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
      force: options.forcedUpdate?.(...args) ?? false,
      ...(options.responseFilter === undefined ? {} : { shouldStore: options.responseFilter }),
    });
  };
  Object.defineProperty(memoized, 'name', { value: fn.name });
  states.set(memoized, { identity, cache });
  return memoized;
}

/**
 * Forgets cached results of a memoized function: all of them with one write (a new version
 * that never expires), or only those of the given arguments.
 */
export async function deleteMemoized(fn: unknown, ...args: unknown[]): Promise<boolean> {
  const state = typeof fn === 'function' ? states.get(fn) : undefined;
  if (!state) throw new InvalidArgumentError('deleteMemoized takes a function returned by memoize (or a @memoize() method)');
  const target = state.cache();
  if (args.length === 0) return target.set(versionKey(state.identity), newVersion(), 0);
  const version = await currentVersion(target, state.identity);
  return target.delete(resultKey(state.identity, version, undefined, args));
}

/** The identity a memoized function is keyed by, or undefined for other functions. */
export function memoizedIdentity(fn: unknown): string | undefined {
  return typeof fn === 'function' ? states.get(fn)?.identity : undefined;
}

function versionKey(identity: string): string {
  return `memoize:${identity}:version`;
}

function resultKey(identity: string, version: string, self: unknown, args: readonly unknown[]): string {
  const id = (self as { cacheId?: unknown } | null | undefined)?.cacheId;
  const scope = id === undefined ? '' : `@${String(id)}`;
  return `memoize:${identity}${scope}:${version}:${hashArguments(args)}`;
}

// The version is created on first use with add, so concurrent processes agree on one.
async function currentVersion(cache: MemoizeCache, identity: string): Promise<string> {
  const key = versionKey(identity);
  const existing = await cache.get<string>(key);
  if (typeof existing === 'string') return existing;
  const fresh = newVersion();
  if (await cache.add(key, fresh, 0)) return fresh;
  const raced = await cache.get<string>(key);
  return typeof raced === 'string' ? raced : fresh;
}

function newVersion(): string {
  return randomBytes(6).toString('base64url');
}
