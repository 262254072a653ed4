import { InvalidArgumentError } from '../errors.js';
import { OptionNames } from '../option-names.js';

const READ_OPTIONS = new OptionNames('a read', ['fresh']);

/** Options of a read (`get`, `read`, `has`, `readDecoded`). */
export interface ReadOptions {
  /** Read the backend even when the near cache holds the key (and leave the near cache as it is). */
  fresh?: boolean;
}

/** Whether a read's options ask for a fresh read; an unknown name is E_INVALID_OPTION, a bad value E_INVALID_ARGUMENT. */
export function toReadOptions(options: ReadOptions | undefined): boolean {
  if (options === undefined) return false;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new InvalidArgumentError('a read takes { fresh }');
  READ_OPTIONS.check(options);
  if (options.fresh !== undefined && typeof options.fresh !== 'boolean') throw new InvalidArgumentError(`read option fresh must be a boolean, got ${typeof options.fresh}`);
  return options.fresh ?? false;
}
