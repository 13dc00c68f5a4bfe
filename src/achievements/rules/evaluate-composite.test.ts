import { describe, expect, test } from 'vitest';
import { evaluateComposite } from './evaluate-composite.ts';
import type { CompositeDefinition } from './rule-type.ts';

const unlocked = new Set(['a', 'b', 'x']);

describe('evaluateComposite', () => {
  test('default: all of the achievements', () => {
    expect(
      evaluateComposite({ type: 'composite', mode: 'all', achievements: ['a', 'b', 'c'] }, unlocked),
    ).toEqual({
      current: 2,
      target: 3,
      done: false,
    });
    expect(evaluateComposite({ type: 'composite', mode: 'all', achievements: ['a', 'b'] }, unlocked)).toEqual(
      {
        current: 2,
        target: 2,
        done: true,
      },
    );
  });

  test('args: any one of them; current is not capped', () => {
    expect(evaluateComposite({ type: 'composite', mode: 'any', achievements: ['c', 'd'] }, unlocked)).toEqual(
      {
        current: 0,
        target: 1,
        done: false,
      },
    );
    expect(
      evaluateComposite({ type: 'composite', mode: 'any', achievements: ['a', 'b', 'c'] }, unlocked),
    ).toEqual({
      current: 2,
      target: 1,
      done: true,
    });
  });

  test('args: at least n of them', () => {
    const def: CompositeDefinition = {
      type: 'composite',
      mode: 'at_least',
      achievements: ['a', 'b', 'c', 'd'],
      n: 3,
    };
    expect(evaluateComposite(def, unlocked)).toEqual({ current: 2, target: 3, done: false });
    expect(evaluateComposite(def, new Set([...unlocked, 'd']))).toEqual({
      current: 3,
      target: 3,
      done: true,
    });
    expect(evaluateComposite({ ...def, n: 2 }, unlocked)).toEqual({ current: 2, target: 2, done: true });
  });

  test('behavior: nothing unlocked', () => {
    expect(evaluateComposite({ type: 'composite', mode: 'all', achievements: ['a'] }, new Set())).toEqual({
      current: 0,
      target: 1,
      done: false,
    });
  });
});
