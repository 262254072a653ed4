import { InvalidArgumentError } from '../errors.js';
import { memoizeFunction, type Memoized } from './memoize.js';
import { checkMemoizeOptions, type MemoizeOptions } from './memoize-options.js';

type AnyFunction = (...args: never[]) => unknown;

/**
 * `memoize(options)` works three ways: `memoize(opts)(fn)` wraps a function; on a class
 * method it is a TC39 standard decorator (TypeScript 5 default) or a legacy
 * `experimentalDecorators` one. Memoized functions and methods always return a promise.
 * Every option is checked here (E_INVALID_OPTION naming it), not at the first call.
 */
export function memoize(options: MemoizeOptions<never[], unknown> = {}) {
  // Checked here, where the decorator is made and applied, not when the method is first called.
  checkMemoizeOptions(options);
  function apply<Args extends unknown[], Result>(fn: (...args: Args) => Result): Memoized<Args, Result>;
  function apply<F extends AnyFunction>(fn: F, context: ClassMethodDecoratorContext): F;
  function apply(target: object, property: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
  function apply(first: unknown, second?: unknown, third?: unknown): unknown {
    if (typeof first === 'function' && second === undefined) {
      return memoizeFunction(first as AnyFunction, options as MemoizeOptions);
    }
    if (typeof first === 'function' && isMethodContext(second)) {
      const owner = second.static ? 'static ' : '';
      return memoizeFunction(first as AnyFunction, options as MemoizeOptions, `${owner}${String(second.name)}`);
    }
    if (third && typeof (third as PropertyDescriptor).value === 'function') {
      const descriptor = third as PropertyDescriptor;
      const className = typeof first === 'function' ? first.name : (first as { constructor?: { name?: string } }).constructor?.name ?? '';
      descriptor.value = memoizeFunction(descriptor.value as AnyFunction, options as MemoizeOptions, `${className}.${String(second)}`);
      return descriptor;
    }
    throw new InvalidArgumentError('memoize() decorates functions and methods only');
  }
  return apply;
}

function isMethodContext(value: unknown): value is ClassMethodDecoratorContext {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'method';
}
