import { describe, expect, test } from 'vitest';
import { composite } from './composite.ts';

const paths = (def: unknown) => composite.validate(def, 'rule').map((i) => i.path);

describe('composite', () => {
  test('default: valid definitions', () => {
    expect(composite.validate({ type: 'composite', mode: 'all', achievements: ['a', 'b'] }, 'rule')).toEqual(
      [],
    );
    expect(composite.validate({ type: 'composite', mode: 'any', achievements: ['a'] }, 'rule')).toEqual([]);
    expect(
      composite.validate(
        { type: 'composite', mode: 'at_least', achievements: ['a', 'b', 'c'], n: 3 },
        'rule',
      ),
    ).toEqual([]);
  });

  test('error: n is required with at_least, within 1..achievements', () => {
    const base = { type: 'composite', mode: 'at_least', achievements: ['a', 'b'] };
    expect(composite.validate(base, 'rule')).toEqual([
      { path: 'rule.n', message: 'required with mode "at_least": how many of the achievements' },
    ]);
    expect(composite.validate({ ...base, n: 3 }, 'rule')).toEqual([
      { path: 'rule.n', message: 'must be an integer from 1 to 2, got 3' },
    ]);
    expect(paths({ ...base, n: 0 })).toEqual(['rule.n']);
    expect(paths({ ...base, n: 1.5 })).toEqual(['rule.n']);
  });

  test('error: n is refused without at_least', () => {
    expect(composite.validate({ type: 'composite', mode: 'all', achievements: ['a'], n: 1 }, 'rule')).toEqual(
      [{ path: 'rule.n', message: 'only allowed with mode "at_least" (mode is "all")' }],
    );
  });

  test('error: achievements non-empty, unique, strings', () => {
    expect(paths({ type: 'composite', mode: 'all', achievements: [] })).toEqual(['rule.achievements']);
    expect(paths({ type: 'composite', mode: 'all' })).toEqual(['rule.achievements']);
    expect(
      composite.validate({ type: 'composite', mode: 'all', achievements: ['a', 'b', 'a'] }, 'rule'),
    ).toEqual([{ path: 'rule.achievements.2', message: 'duplicate value "a"' }]);
    expect(paths({ type: 'composite', mode: 'any', achievements: ['a', 7, ''] })).toEqual([
      'rule.achievements.1',
      'rule.achievements.2',
    ]);
  });

  test('error: at most 1000 achievements', () => {
    const achievements = Array.from({ length: 1001 }, (_, i) => `a${i}`);
    expect(paths({ type: 'composite', mode: 'all', achievements })).toEqual(['rule.achievements']);
    expect(paths({ type: 'composite', mode: 'all', achievements: achievements.slice(1) })).toEqual([]);
  });

  test('error: mode and unknown fields', () => {
    expect(paths({ type: 'composite', mode: 'most', achievements: ['a'] })).toEqual(['rule.mode']);
    expect(paths({ type: 'composite', mode: 'all', achievements: ['a'], filter: {} })).toEqual([
      'rule.filter',
    ]);
  });
});
