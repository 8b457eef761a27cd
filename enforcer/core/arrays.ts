// Array helpers for unbounded lists: a spread in a call (`a.push(...b)`, `Math.max(...b)`) puts every element on the
// stack and throws RangeError past ~100k elements, so these loop instead (lint forbids spread arguments).

/**
 * Appends every item of `items` to `target` (in place) and returns `target`.
 * @example pushAll(adds, entries) // instead of adds.push(...entries)
 */
export function pushAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const x of items) target.push(x);
  return target;
}

/**
 * The largest number of `values`, or `empty` when there is none.
 * @example maxOf([3, 9, 4]) === 9; maxOf([], 0) === 0
 */
export function maxOf(values: Iterable<number>, empty = -Infinity): number {
  let m = -Infinity;
  let any = false;
  for (const v of values) {
    any = true;
    if (v > m) m = v;
  }
  return any ? m : empty;
}

/**
 * The smallest number of `values`, or `empty` when there is none.
 * @example minOf([3, 9, 4]) === 3; minOf([], 0) === 0
 */
export function minOf(values: Iterable<number>, empty = Infinity): number {
  let m = Infinity;
  let any = false;
  for (const v of values) {
    any = true;
    if (v < m) m = v;
  }
  return any ? m : empty;
}
