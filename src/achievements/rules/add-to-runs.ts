/** A run of consecutive periods, inclusive: `[first, last]` (period indexes, e.g. day indexes). */
export type Run = [first: number, last: number];

/**
 * Adds one period to sorted, disjoint, non-adjacent runs, merging it with the run before and/or
 * after it. Returns the same `runs` array when the period is already covered. The result depends
 * only on the set of periods added, not on their order.
 */
export function addToRuns(runs: readonly Run[], period: number): readonly Run[] {
  // The first run that ends at or after `period - 1` is the only one that can touch it from the left.
  let low = 0;
  let high = runs.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (runs[mid]![1] < period - 1) low = mid + 1;
    else high = mid;
  }
  const here = runs[low];
  if (here !== undefined && here[0] <= period && period <= here[1]) return runs;
  const joinsLeft = here !== undefined && here[1] === period - 1;
  const right = joinsLeft ? runs[low + 1] : here;
  const joinsRight = right !== undefined && right[0] === period + 1;
  const first = joinsLeft ? here[0] : period;
  const last = joinsRight ? right[1] : period;
  const replaced = (joinsLeft ? 1 : 0) + (joinsRight ? 1 : 0);
  return [...runs.slice(0, low), [first, last], ...runs.slice(low + replaced)];
}
