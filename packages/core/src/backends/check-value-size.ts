import { ValueTooLargeError } from '../errors.js';
import type { StoredItem } from '../types/backend.js';

/** Throws a ValueTooLargeError when `item` is longer than `maxValueSize` bytes (a backend's limit). */
export function checkValueSize(key: string, item: StoredItem, maxValueSize: number): void {
  if (item.value.length > maxValueSize) throw new ValueTooLargeError(key, item.value.length, maxValueSize);
}
