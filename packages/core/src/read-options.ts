import { InvalidArgumentError } from './errors.js';

/** Options of a read (`get`, `read`, `has`, `readDecoded`). */
export interface ReadOptions {
  /** Read the backend even when the near cache holds the key (and leave the near cache as it is). */
  fresh?: boolean;
}

/** Whether a read's options ask for a fresh read; a usage error names what is wrong. */
export function toReadOptions(options: ReadOptions | undefined): boolean {
  if (options === undefined) return false;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new InvalidArgumentError('a read takes { fresh }');
  for (const name of Object.keys(options)) {
    if (name !== 'fresh') throw new InvalidArgumentError(`a read takes { fresh }, not ${JSON.stringify(name)}`);
  }
  if (options.fresh !== undefined && typeof options.fresh !== 'boolean') throw new InvalidArgumentError(`read option fresh must be a boolean, got ${typeof options.fresh}`);
  return options.fresh ?? false;
}
