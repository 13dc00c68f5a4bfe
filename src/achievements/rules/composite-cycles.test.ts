import { describe, expect, test } from 'vitest';
import { compositeCycles } from './composite-cycles.ts';
import type { RuleDefinition } from './types.ts';

const all = (...achievements: string[]): RuleDefinition => ({ type: 'composite', mode: 'all', achievements });
const counted: RuleDefinition = { type: 'count', filter: { types: ['vote.cast'] }, target: 1 };

describe('compositeCycles', () => {
  test('default: none in a tree of composites', () => {
    const defs = new Map([
      ['top', all('mid', 'leaf')],
      ['mid', all('leaf', 'other')],
      ['leaf', counted],
      ['other', counted],
    ]);
    expect(compositeCycles(defs)).toEqual([]);
    expect(compositeCycles(new Map())).toEqual([]);
  });

  test('behavior: a two-way and a self reference', () => {
    const defs = new Map([
      ['b', all('a')],
      ['a', all('b', 'leaf')],
      ['self', all('self')],
      ['leaf', counted],
    ]);
    expect(compositeCycles(defs)).toEqual([
      ['a', 'b', 'a'],
      ['self', 'self'],
    ]);
  });

  test('behavior: the shortest cycle through the smallest id of each group', () => {
    // a → b → c → d → a, and c → a: one group, shortest cycle through a is a → b → c → a.
    const defs = new Map([
      ['a', all('b')],
      ['b', all('c')],
      ['c', all('d', 'a')],
      ['d', all('a')],
      ['x', all('y')],
      ['y', all('z')],
      ['z', all('x', 'a')],
    ]);
    expect(compositeCycles(defs)).toEqual([
      ['a', 'b', 'c', 'a'],
      ['x', 'y', 'z', 'x'],
    ]);
  });

  test('behavior: references to unknown or non-composite achievements are ignored', () => {
    const defs = new Map([
      ['a', all('missing', 'leaf')],
      ['leaf', counted],
    ]);
    expect(compositeCycles(defs)).toEqual([]);
  });

  test('behavior: a long chain closing on itself does not overflow the stack', () => {
    const size = 20_000;
    const defs = new Map<string, RuleDefinition>();
    for (let i = 0; i < size; i++)
      defs.set(`n${String(i).padStart(5, '0')}`, all(`n${String((i + 1) % size).padStart(5, '0')}`));
    const cycles = compositeCycles(defs);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(size + 1);
    expect(cycles[0]![0]).toBe('n00000');
    expect(cycles[0]![size]).toBe('n00000');
  });
});
