import { afterEach, describe, expect, test, vi } from 'vitest';
import { percent, progressWriter } from './output.ts';

describe('progressWriter', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('behavior: writes to stderr at most once per interval, building the line only then', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    let now = 1_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const progress = progressWriter('replay', 2000);
    const line = vi.fn(() => 'block 5');
    progress(line);
    now += 1999;
    progress(line);
    expect(written).toEqual([]);
    expect(line).not.toHaveBeenCalled();
    now += 1;
    progress(line);
    now += 500;
    progress(line);
    expect(written).toEqual(['replay: block 5\n']);
    expect(line).toHaveBeenCalledTimes(1);
  });
});

describe('percent', () => {
  test('args: numbers and block counts (bigint), rounded down; nothing to do is 100 %', () => {
    expect(percent(1, 3)).toBe(33);
    expect(percent(50n, 200n)).toBe(25);
    expect(percent(0, 0)).toBe(100);
  });
});
