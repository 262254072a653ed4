import { InvalidArgumentError } from './errors.js';

/** The prefix Flask-Caching gives template fragment keys. */
export const TEMPLATE_FRAGMENT_PREFIX = '_template_fragment_cache_';

/**
 * The key of a cached template fragment, as Flask-Caching's `make_template_fragment_key`
 * builds it: `_template_fragment_cache_` + name, then `_` + each vary-on value.
 */
export function makeTemplateFragmentKey(name: string, varyOn: readonly unknown[] = []): string {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('a template fragment needs a non-empty name');
  return TEMPLATE_FRAGMENT_PREFIX + (varyOn.length > 0 ? `${name}_${varyOn.map(String).join('_')}` : name);
}
