import type { Backend, BackendCapabilities, CasItem, StoredItem } from '../types/backend.js';

/** A backend that stores nothing: every read misses, every write reports "not stored". */
export class NullBackend implements Backend {
  readonly name = 'null';
  readonly capabilities: BackendCapabilities = { shared: false, maxValueSize: Number.MAX_SAFE_INTEGER, touch: false, reservedFlags: 0 };

  async connect(): Promise<void> {}
  async get(): Promise<StoredItem | undefined> {
    return undefined;
  }
  async getMany(): Promise<Map<string, StoredItem>> {
    return new Map();
  }
  async set(): Promise<boolean> {
    return false;
  }
  async setMany(entries: ReadonlyArray<readonly [string, StoredItem]>): Promise<string[]> {
    return entries.map(([key]) => key);
  }
  async add(): Promise<boolean> {
    return false;
  }
  async replace(): Promise<boolean> {
    return false;
  }
  async delete(): Promise<boolean> {
    return false;
  }
  async deleteMany(): Promise<string[]> {
    return [];
  }
  async incr(): Promise<bigint | undefined> {
    return undefined;
  }
  async decr(): Promise<bigint | undefined> {
    return undefined;
  }
  async touch(): Promise<boolean> {
    return false;
  }
  async gets(): Promise<CasItem | undefined> {
    return undefined;
  }
  async cas(): Promise<boolean | undefined> {
    return undefined;
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
