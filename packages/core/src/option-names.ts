import { InvalidOptionError } from './errors.js';

/** True when `Listed` names exactly the keys `Declared` has: a build-time check that a list of option names is complete. */
export type ListsExactly<Listed, Declared> = [Exclude<Declared, Listed>, Exclude<Listed, Declared>] extends [never, never] ? true : false;

/**
 * The option names one kind of options object may hold, and the one check of them: an own
 * property with another name is an InvalidOptionError (E_INVALID_OPTION) naming it, the closest
 * known name and every known name. A property set to undefined counts as not given, as
 * everywhere in Larder. Made once per kind of options object; `check` is a for-in over the given
 * keys against a Set, cheap enough for options given per call.
 */
export class OptionNames {
  /** What the options belong to, for messages (`Cache`, `getOrSet`, `the near cache`). */
  readonly owner: string;
  /** The known names, in the order messages list them. */
  readonly names: readonly string[];
  readonly #known: ReadonlySet<string>;

  constructor(owner: string, names: readonly string[]) {
    this.owner = owner;
    this.names = Object.freeze([...names]);
    this.#known = new Set(names);
  }

  /** True when `name` is one of the known names. */
  has(name: string): boolean {
    return this.#known.has(name);
  }

  /** The first own property of `options` that is not a known name (and not undefined); undefined when none. */
  unknownIn(options: object): string | undefined {
    for (const name in options) {
      if (this.#known.has(name) || !Object.hasOwn(options, name)) continue;
      if ((options as Record<string, unknown>)[name] !== undefined) return name;
    }
    return undefined;
  }

  /** What is wrong with `name`: not an option of the owner, the closest known name, the known names. */
  problem(name: string): string {
    const near = closest(name, this.names);
    return `is not an option of ${this.owner}${near === undefined ? '' : `; did you mean "${near}"?`} (known: ${this.names.join(', ')})`;
  }

  /** Throws an InvalidOptionError naming the first unknown option of `options` (as `path` + name: `near.tll`). */
  check(options: object, path = ''): void {
    const name = this.unknownIn(options);
    if (name !== undefined) throw new InvalidOptionError(`${path}${name}`, this.problem(name));
  }
}

// A known name that differs only in case, or by at most two edits (one for short names): a typo.
function closest(name: string, names: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(name.length / 3));
  for (const known of names) {
    if (known.toLowerCase() === lower) return known;
    const distance = editDistance(lower, known.toLowerCase());
    if (distance <= bestDistance && (best === undefined || distance < bestDistance)) {
      best = known;
      bestDistance = distance;
    }
  }
  return best;
}

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return Infinity;
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
    }
  }
  return rows[a.length]![b.length]!;
}
