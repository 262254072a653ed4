import type { Backend, StoredItem } from '../src/index.js';

/** A backend whose next get is held until released (to put a write between a read and its answer). */
export class HeldReads implements Backend {
  readonly #inner: Backend;
  #hold = false;
  #release: () => void = () => {};
  #reached: () => void = () => {};
  held: Promise<void> = Promise.resolve();
  constructor(inner: Backend) {
    this.#inner = inner;
  }
  get name() {
    return this.#inner.name;
  }
  get capabilities() {
    return this.#inner.capabilities;
  }
  holdNext(): void {
    this.#hold = true;
    this.held = new Promise((resolve) => (this.#reached = resolve));
  }
  release(): void {
    this.#release();
  }
  async get(key: string): Promise<StoredItem | undefined> {
    const found = await this.#inner.get(key);
    if (!this.#hold) return found;
    this.#hold = false;
    await new Promise<void>((resolve) => {
      this.#release = resolve;
      this.#reached();
    });
    return found;
  }
  connect = () => this.#inner.connect();
  getMany = (keys: readonly string[]) => this.#inner.getMany(keys);
  set = (key: string, item: StoredItem, ttl: number) => this.#inner.set(key, item, ttl);
  setMany = (entries: ReadonlyArray<readonly [string, StoredItem]>, ttl: number) => this.#inner.setMany(entries, ttl);
  add = (key: string, item: StoredItem, ttl: number) => this.#inner.add(key, item, ttl);
  replace = (key: string, item: StoredItem, ttl: number) => this.#inner.replace(key, item, ttl);
  delete = (key: string) => this.#inner.delete(key);
  deleteMany = (keys: readonly string[]) => this.#inner.deleteMany(keys);
  incr = (key: string, delta: bigint) => this.#inner.incr(key, delta);
  decr = (key: string, delta: bigint) => this.#inner.decr(key, delta);
  touch = (key: string, ttl: number) => this.#inner.touch(key, ttl);
  gets = (key: string) => this.#inner.gets(key);
  cas = (key: string, item: StoredItem, cas: bigint, ttl: number) => this.#inner.cas(key, item, cas, ttl);
  flush = () => this.#inner.flush();
  close = () => this.#inner.close();
}

