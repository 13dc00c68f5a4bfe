import type { Growth } from './capacity-shape.ts';

/** Fewest samples a growth is fitted on: two points always make a line, three begin to test one. */
export const MIN_GROWTH_SAMPLES = 3;

/**
 * The least-squares slope of `y` over `x` (x in days: the result is per day), from the samples
 * given; fewer than MIN_GROWTH_SAMPLES, or all on one day, give no figure rather than a guess.
 */
export function leastSquaresGrowth(points: readonly { x: number; y: number }[]): Growth {
  const n = points.length;
  if (n < MIN_GROWTH_SAMPLES)
    return {
      samples: n,
      perDay: null,
      note: `not enough history: ${n} sample(s), at least ${MIN_GROWTH_SAMPLES} needed`,
    };
  const meanX = points.reduce((a, p) => a + p.x, 0) / n;
  const meanY = points.reduce((a, p) => a + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - meanX) * (p.y - meanY);
    sxx += (p.x - meanX) ** 2;
  }
  if (sxx === 0)
    return { samples: n, perDay: null, note: 'not enough history: every sample is from one moment' };
  // A flat series is flat: its mean's rounding would otherwise leave a slope of ±1e-17.
  if (points.every((p) => p.y === points[0]!.y)) return { samples: n, perDay: 0, note: null };
  return { samples: n, perDay: sxy / sxx, note: null };
}
