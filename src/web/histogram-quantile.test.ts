import { describe, expect, test } from 'vitest';
import { histogramQuantile } from './histogram-quantile.ts';

const inf = Number.POSITIVE_INFINITY;

describe('histogramQuantile', () => {
  test('default: interpolates inside the bucket of the rank', () => {
    // 100 observations: 50 ≤ 0.1, 90 ≤ 0.5, 100 ≤ 1
    const buckets = [
      { le: 0.1, count: 50 },
      { le: 0.5, count: 90 },
      { le: 1, count: 100 },
      { le: inf, count: 100 },
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.75);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(0.3);
  });

  test('behavior: a rank in +Inf answers the highest finite bound', () => {
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: inf, count: 10 },
      ]),
    ).toBe(1);
  });

  test('behavior: empty or bad q → undefined', () => {
    expect(histogramQuantile(0.5, [{ le: 1, count: 0 }])).toBeUndefined();
    expect(histogramQuantile(0.5, [])).toBeUndefined();
    expect(histogramQuantile(1.5, [{ le: 1, count: 3 }])).toBeUndefined();
  });
});
