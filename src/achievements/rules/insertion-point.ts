/** The index of the first item of a sorted array that is not less than `item` (binary search). */
export function insertionPoint<T extends string | number>(sorted: readonly T[], item: T): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < item) low = mid + 1;
    else high = mid;
  }
  return low;
}
