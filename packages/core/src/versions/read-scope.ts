import type { Stamps } from './stamp-envelope.js';

/** How one read-compute-write call of a namespace reads and writes (internal to the Cache and its namespaces). */
export interface ReadScope {
  /** The namespace's version counter key, read together with the entry unless trusted. */
  readonly versionKey: string;
  /** Versions read at or after this Unix ms are current for this call (it read them itself). */
  readonly since: number;
  /** The versions a value computed now is stamped with (taken before the factory runs). */
  readonly stamps: Stamps | undefined;
}
