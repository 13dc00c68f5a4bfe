import { describe, expect, test } from 'vitest';
import { matchesFilter } from './matches-filter.ts';
import type { Condition, RuleEvent } from './types.ts';

const event = (data: Record<string, unknown> = {}, type = 'vote.cast', source = 'snapshot'): RuleEvent => ({
  type,
  source,
  occurredAtMs: 0,
  data,
});
const when = (condition: Condition, data: Record<string, unknown>) =>
  matchesFilter({ types: ['vote.cast'], conditions: [condition] }, event(data));

describe('matchesFilter', () => {
  test('default: matches by type alone', () => {
    expect(matchesFilter({ types: ['vote.cast'] }, event())).toBe(true);
    expect(matchesFilter({ types: ['vote.cast', 'nft.minted'] }, event({}, 'nft.minted'))).toBe(true);
    expect(matchesFilter({ types: ['vote.cast'] }, event({}, 'vote.deleted'))).toBe(false);
  });

  test('args: sources, when given, must list the source', () => {
    expect(matchesFilter({ types: ['vote.cast'], sources: ['snapshot', 'tally'] }, event())).toBe(true);
    expect(matchesFilter({ types: ['vote.cast'], sources: ['tally'] }, event())).toBe(false);
  });

  test('args: eq is strict equality', () => {
    expect(when({ field: 'choice', op: 'eq', value: 'yes' }, { choice: 'yes' })).toBe(true);
    expect(when({ field: 'choice', op: 'eq', value: 'yes' }, { choice: 'no' })).toBe(false);
    expect(when({ field: 'n', op: 'eq', value: 12 }, { n: 12 })).toBe(true);
    expect(when({ field: 'n', op: 'eq', value: 12 }, { n: '12' })).toBe(false);
    expect(when({ field: 'ok', op: 'eq', value: true }, { ok: 1 })).toBe(false);
    expect(when({ field: 'ok', op: 'eq', value: true }, {})).toBe(false);
  });

  test('args: in is strict membership', () => {
    const c: Condition = { field: 'chain', op: 'in', values: ['base', 1, true] };
    expect(when(c, { chain: 'base' })).toBe(true);
    expect(when(c, { chain: 1 })).toBe(true);
    expect(when(c, { chain: true })).toBe(true);
    expect(when(c, { chain: '1' })).toBe(false);
    expect(when(c, {})).toBe(false);
  });

  test('args: gte and lte include the bound and need a number', () => {
    expect(when({ field: 'amount', op: 'gte', value: 10 }, { amount: 10 })).toBe(true);
    expect(when({ field: 'amount', op: 'gte', value: 10 }, { amount: 9.99 })).toBe(false);
    expect(when({ field: 'amount', op: 'lte', value: 10 }, { amount: 10 })).toBe(true);
    expect(when({ field: 'amount', op: 'lte', value: 10 }, { amount: 10.01 })).toBe(false);
    expect(when({ field: 'amount', op: 'lte', value: 0 }, { amount: -3 })).toBe(true);
  });

  test('behavior: gte and lte do not match a non-number, numeric strings included', () => {
    for (const amount of ['12.5', '20', true, null, [20], { v: 20 }, undefined]) {
      expect(when({ field: 'amount', op: 'gte', value: 10 }, { amount })).toBe(false);
      expect(when({ field: 'amount', op: 'lte', value: 100 }, { amount })).toBe(false);
    }
  });

  test('args: exists defaults to true; null counts as absent', () => {
    expect(when({ field: 'ref', op: 'exists' }, { ref: 'x' })).toBe(true);
    expect(when({ field: 'ref', op: 'exists' }, { ref: 0 })).toBe(true);
    expect(when({ field: 'ref', op: 'exists' }, { ref: false })).toBe(true);
    expect(when({ field: 'ref', op: 'exists' }, {})).toBe(false);
    expect(when({ field: 'ref', op: 'exists' }, { ref: null })).toBe(false);
    expect(when({ field: 'ref', op: 'exists', value: true }, { ref: 'x' })).toBe(true);
    expect(when({ field: 'ref', op: 'exists', value: false }, {})).toBe(true);
    expect(when({ field: 'ref', op: 'exists', value: false }, { ref: null })).toBe(true);
    expect(when({ field: 'ref', op: 'exists', value: false }, { ref: 'x' })).toBe(false);
  });

  test('args: conditions reach nested fields by dot path', () => {
    const data = { item: { kind: 'badge', meta: { tier: 3 } }, items: [{ id: 'a' }] };
    expect(when({ field: 'item.kind', op: 'eq', value: 'badge' }, data)).toBe(true);
    expect(when({ field: 'item.meta.tier', op: 'gte', value: 3 }, data)).toBe(true);
    expect(when({ field: 'items.0.id', op: 'eq', value: 'a' }, data)).toBe(true);
    expect(when({ field: 'item.meta.missing', op: 'exists', value: false }, data)).toBe(true);
  });

  test('behavior: every criterion must hold', () => {
    const filter = {
      types: ['vote.cast'],
      sources: ['snapshot'],
      conditions: [
        { field: 'choice', op: 'eq', value: 'yes' },
        { field: 'weight', op: 'gte', value: 1 },
      ] satisfies Condition[],
    };
    expect(matchesFilter(filter, event({ choice: 'yes', weight: 2 }))).toBe(true);
    expect(matchesFilter(filter, event({ choice: 'yes', weight: 0.5 }))).toBe(false);
    expect(matchesFilter(filter, event({ choice: 'no', weight: 2 }))).toBe(false);
    expect(matchesFilter(filter, event({ choice: 'yes', weight: 2 }, 'vote.cast', 'tally'))).toBe(false);
    expect(matchesFilter({ ...filter, conditions: [] }, event())).toBe(true);
  });
});
