import { memoize } from '@larder/core';

/** A product of the example shop. */
export interface Product {
  id: number;
  name: string;
  cents: number;
}

const PRODUCTS: readonly Product[] = [
  { id: 1, name: 'Sourdough loaf', cents: 650 },
  { id: 2, name: 'Jar of marmalade', cents: 475 },
  { id: 3, name: 'Wheel of cheddar', cents: 2400 },
  { id: 4, name: 'Smoked almonds', cents: 590 },
  { id: 5, name: 'Pickled onions', cents: 320 },
];

/** How many slow lookups each method really ran (the rest came from the cache). */
export interface LookupCounts {
  bestSellers: number;
  all: number;
}

/** The example's slow data source: each lookup takes `delayMs`, as a database or API would. */
export class CatalogService {
  /** Slow lookups that ran, per method. */
  readonly lookups: LookupCounts = { bestSellers: 0, all: 0 };
  readonly #delayMs: number;

  constructor(delayMs = 300) {
    this.#delayMs = delayMs;
  }

  /** The `limit` best-selling products; memoized for a minute in the cache `larder(app)` made the default. */
  @memoize({ ttl: '1m', name: 'CatalogService.bestSellers' })
  async bestSellers(limit: number): Promise<Product[]> {
    await this.#slowLookup('bestSellers');
    return [...PRODUCTS].sort((a, b) => b.cents - a.cents).slice(0, limit);
  }

  /** Every product, sorted by name (slow, not memoized: the page that lists it is cached whole). */
  async all(): Promise<Product[]> {
    await this.#slowLookup('all');
    return [...PRODUCTS].sort((a, b) => a.name.localeCompare(b.name));
  }

  async #slowLookup(method: keyof LookupCounts): Promise<void> {
    this.lookups[method]++;
    await new Promise((resolve) => setTimeout(resolve, this.#delayMs));
  }
}
