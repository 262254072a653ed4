import type { StoredItem } from './types/backend.js';

/**
 * A StoredItem whose bytes are the UTF-8 encoding of a string, made on first read of `value`
 * and kept. The contract is unchanged (any backend reading `value` gets those bytes, every
 * time the same Buffer); a backend that keeps the item object itself (the memory backend)
 * never pays for the encoding, and reads the size through `itemByteLength`.
 * Optionally carries the value it was encoded from, for the serializer's decode shortcut.
 * `value` is an accessor, so a backend that copies an item must read it
 * (`{ value: item.value, flags: item.flags }`), not spread the object.
 */
export class TextItem implements StoredItem {
  /** The flags word. */
  readonly flags: number;
  /** The text whose UTF-8 bytes are `value`. */
  readonly text: string;
  /** True when `decoded` holds the value this item was encoded from (immutable values only). */
  readonly hasDecoded: boolean;
  /** The value this item was encoded from, when `hasDecoded`. */
  readonly decoded: unknown;
  #bytes: Buffer | undefined = undefined;

  constructor(text: string, flags: number, hasDecoded: boolean, decoded: unknown) {
    this.text = text;
    this.flags = flags;
    this.hasDecoded = hasDecoded;
    this.decoded = decoded;
  }

  /** The UTF-8 bytes of `text`, encoded once on first use. */
  get value(): Buffer {
    return (this.#bytes ??= Buffer.from(this.text, 'utf8'));
  }

  /** `value.length`, without encoding when the bytes are not made yet. */
  get byteLength(): number {
    return this.#bytes === undefined ? Buffer.byteLength(this.text, 'utf8') : this.#bytes.length;
  }
}

/** The length in bytes of `item.value`, without encoding a TextItem's bytes to learn it. */
export function itemByteLength(item: StoredItem): number {
  return item instanceof TextItem ? item.byteLength : item.value.length;
}
