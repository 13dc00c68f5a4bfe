import { describe, expect, test } from 'vitest';
import { addToRuns, type Run } from './add-to-runs.ts';
import { seededRandom, shuffled } from './seeded-shuffle.ts';

describe('addToRuns', () => {
  test('default: the first period makes a run', () => {
    expect(addToRuns([], 5)).toEqual([[5, 5]]);
  });

  test('behavior: merges with the run before, after, or both', () => {
    const runs: Run[] = [
      [1, 2],
      [4, 5],
      [9, 9],
    ];
    expect(addToRuns(runs, 3)).toEqual([
      [1, 5],
      [9, 9],
    ]);
    expect(addToRuns(runs, 6)).toEqual([
      [1, 2],
      [4, 6],
      [9, 9],
    ]);
    expect(addToRuns(runs, 8)).toEqual([
      [1, 2],
      [4, 5],
      [8, 9],
    ]);
    expect(addToRuns(runs, 0)).toEqual([
      [0, 2],
      [4, 5],
      [9, 9],
    ]);
    expect(addToRuns(runs, -5)[0]).toEqual([-5, -5]);
    expect(addToRuns(runs, 20).at(-1)).toEqual([20, 20]);
    expect(addToRuns(runs, 7)).toEqual([
      [1, 2],
      [4, 5],
      [7, 7],
      [9, 9],
    ]);
  });

  test('behavior: a covered period returns the same array', () => {
    const runs: Run[] = [
      [1, 3],
      [7, 7],
    ];
    for (const p of [1, 2, 3, 7]) expect(addToRuns(runs, p)).toBe(runs);
  });

  test('behavior: the runs depend only on the set of periods', () => {
    const random = seededRandom(3);
    const periods = Array.from({ length: 80 }, () => Math.floor(random() * 120) - 20);
    const expected = periods.reduce<readonly Run[]>(addToRuns, []);
    const set = new Set(periods);
    expect(expected.reduce((n, [a, b]) => n + b - a + 1, 0)).toBe(set.size);
    for (let i = 0; i < 100; i++)
      expect(shuffled(periods, random).reduce<readonly Run[]>(addToRuns, [])).toEqual(expected);
  });
});
