/**
 * A first-in first-out list read from the front by index: items leave from the front (or, rarely,
 * from the middle), and the space they held is given back now and then rather than on every
 * removal.
 */
export class Backlog<T> {
  #items: T[] = [];
  #head = 0;

  /** The index of the first item. */
  get start(): number {
    return this.#head;
  }

  /** The index after the last item. */
  get end(): number {
    return this.#items.length;
  }

  /** The item at `index` (from `start` to `end`). */
  at(index: number): T {
    return this.#items[index]!;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The first item, if any. */
  first(): T | undefined {
    return this.#items[this.#head];
  }

  /** Drops the items before `index`. */
  dropBefore(index: number): void {
    this.#head = index;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Removes the item at `index`. */
  removeAt(index: number): void {
    if (index === this.#head) this.dropBefore(index + 1);
    else this.#items.splice(index, 1);
  }

  /** The items, first to last, as a new array. */
  items(): T[] {
    return this.#items.slice(this.#head);
  }

  /** Removes and returns every item. */
  clear(): T[] {
    const items = this.items();
    this.#items = [];
    this.#head = 0;
    return items;
  }
}
