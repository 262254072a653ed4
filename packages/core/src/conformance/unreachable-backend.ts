import { ConnectionError } from '../errors.js';
import { MemoryBackend } from '../backends/memory-backend.js';
import type { StoredItem } from '../types/backend.js';

/**
 * A MemoryBackend whose reads, writes (add and replace too), deletes and touches all fail as an unreachable memcached's
 * would (`E_CONNECTION`), for fault tests of code built on a Cache: inject it where a real server
 * cannot be made to fail on cue. Other calls (getMany, incr...) behave as MemoryBackend's.
 */
export class UnreachableBackend extends MemoryBackend {
  #fail(): never {
    throw new ConnectionError('10.0.0.1:11211', 'connect ECONNREFUSED');
  }

  override getSync(): StoredItem | undefined {
    return this.#fail();
  }

  override setSync(): boolean {
    return this.#fail();
  }

  override async add(): Promise<boolean> {
    return this.#fail();
  }

  override async replace(): Promise<boolean> {
    return this.#fail();
  }

  override async delete(): Promise<boolean> {
    return this.#fail();
  }

  override async touch(): Promise<boolean> {
    return this.#fail();
  }
}
