/**
 * The q-quantile of a histogram from its cumulative buckets, interpolated linearly inside the
 * bucket the rank falls in — the same estimate as PromQL's `histogram_quantile`, so the console
 * and Grafana agree. Undefined when the histogram is empty.
 */
export interface Bucket {
  /** Upper bound (`le`); `Infinity` for `+Inf`. */
  le: number;
  /** Observations ≤ `le` (cumulative). */
  count: number;
}

export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total <= 0 || !(q >= 0 && q <= 1)) return undefined;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      // Past the highest finite bound: the best estimate is that bound.
      if (b.le === Number.POSITIVE_INFINITY) return lowerLe;
      const inBucket = b.count - lowerCount;
      if (inBucket <= 0) return b.le;
      return lowerLe + (b.le - lowerLe) * ((rank - lowerCount) / inBucket);
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return lowerLe;
}
