import { describe, expect, test } from 'vitest';
import {
  applyEvent,
  eventTypesOf,
  initialState,
  isEventRule,
  isStateOf,
  progressOf,
  RULE_TYPE_NAMES,
  ruleTypes,
  validateRule,
} from './index.ts';
import type { RuleDefinition, RuleEvent } from './types.ts';

const filter = { types: ['vote.cast', 'vote.updated'] };
const valid: RuleDefinition[] = [
  { type: 'count', filter, target: 3 },
  { type: 'sum', filter, field: 'weight', target: 2.5 },
  { type: 'distinct', filter, field: 'proposal.id', target: 3 },
  { type: 'streak', filter, period: 'week', timeZone: 'Europe/Berlin', target: 4 },
  { type: 'window', filter, windowSeconds: 3600, target: 3 },
  { type: 'composite', mode: 'at_least', achievements: ['a', 'b'], n: 1 },
];
const paths = (def: unknown) => validateRule(def).map((i) => i.path);

describe('validateRule', () => {
  test('default: every rule type validates', () => {
    for (const def of valid) expect(validateRule(def)).toEqual([]);
    expect(RULE_TYPE_NAMES).toEqual(['count', 'sum', 'distinct', 'streak', 'window', 'composite']);
    expect(Object.keys(ruleTypes)).toEqual(RULE_TYPE_NAMES);
  });

  test('args: a path prefix', () => {
    expect(validateRule({ type: 'count', filter, target: 0 }, 'achievements.3.rule')).toEqual([
      { path: 'achievements.3.rule.target', message: 'must be a positive integer, got 0' },
    ]);
  });

  test('error: an unknown or missing type lists the valid ones at rule.type', () => {
    expect(validateRule({ type: 'ratio', filter, target: 1 })).toEqual([
      {
        path: 'rule.type',
        message: 'must be one of: count, sum, distinct, streak, window, composite (got "ratio")',
      },
    ]);
    expect(validateRule({ filter, target: 1 })).toEqual([
      {
        path: 'rule.type',
        message: 'must be one of: count, sum, distinct, streak, window, composite (required)',
      },
    ]);
    expect(paths({ type: 'toString' })).toEqual(['rule.type']);
    expect(paths({ type: 3 })).toEqual(['rule.type']);
  });

  test('error: not an object', () => {
    for (const def of [null, 'count', [], 3, undefined]) expect(paths(def)).toEqual(['rule']);
  });

  test('error: unknown fields anywhere, at their own paths', () => {
    expect(validateRule({ type: 'count', filter, target: 1, windowSeconds: 60 })).toEqual([
      { path: 'rule.windowSeconds', message: 'unknown field; expected one of: type, filter, target' },
    ]);
    expect(paths({ type: 'count', filter: { ...filter, source: 'x' }, target: 1 })).toEqual([
      'rule.filter.source',
    ]);
    expect(
      paths({
        type: 'sum',
        filter: {
          ...filter,
          conditions: [
            { field: 'a', op: 'eq', value: 1 },
            { field: 'b', op: 'exists', extra: 1 },
          ],
        },
        field: 'weight',
        target: 1,
      }),
    ).toEqual(['rule.filter.conditions.1.extra']);
  });

  test('error: the exact paths of several bad fields at once', () => {
    expect(
      paths({
        type: 'streak',
        filter: { types: [], conditions: [{ field: 'x', op: 'like', value: 'a%' }] },
        period: 'day',
        timeZone: 'Europe/Berlln',
      }),
    ).toEqual(['rule.filter.types', 'rule.filter.conditions.0.op', 'rule.timeZone', 'rule.target']);
    expect(paths({ type: 'distinct', filter, target: 2 })).toEqual(['rule.field']);
    expect(paths({ type: 'window', filter, target: 2 })).toEqual(['rule.windowSeconds']);
  });
});

describe('dispatch', () => {
  const event = (type: string, data: Record<string, unknown>, iso = '2026-01-05T12:00:00Z'): RuleEvent => ({
    type,
    source: 'snapshot',
    occurredAtMs: Date.parse(iso),
    data,
  });

  test('default: initial state, events, progress for each event-fed type', () => {
    const events = [
      event('vote.cast', { weight: 1, proposal: { id: 'p1' } }, '2026-01-05T12:00:00Z'),
      event('vote.updated', { weight: 1, proposal: { id: 'p2' } }, '2026-01-12T12:10:00Z'),
      event('vote.cast', { weight: 0.5, proposal: { id: 'p3' } }, '2026-01-12T12:20:00Z'),
    ];
    const results = valid.filter(isEventRule).map((def) => {
      const state = events.reduce((s, e) => applyEvent(def, s, e), initialState(def));
      expect(isStateOf(def, state)).toBe(true);
      expect(JSON.parse(JSON.stringify(state))).toEqual(state);
      return [def.type, progressOf(def, state)];
    });
    expect(Object.fromEntries(results)).toEqual({
      count: { current: 3, target: 3, done: true },
      sum: { current: 2.5, target: 2.5, done: true },
      distinct: { current: 3, target: 3, done: true },
      streak: { current: 2, target: 4, done: false },
      window: { current: 2, target: 3, done: false },
    });
  });

  test('behavior: an event outside the filter returns the very same state for every type', () => {
    for (const def of valid.filter(isEventRule)) {
      const state = initialState(def);
      expect(applyEvent(def, state, event('nft.minted', { weight: 5, proposal: { id: 'p' } }))).toBe(state);
    }
  });

  test('behavior: a state of another type is not recognised', () => {
    const [count, sum] = valid as [RuleDefinition & { type: 'count' }, RuleDefinition & { type: 'sum' }];
    expect(isStateOf(sum, initialState(count))).toBe(false);
    expect(isStateOf(count, initialState(sum))).toBe(false);
  });

  test('args: eventTypesOf gives the filter types, none for composite', () => {
    expect(valid.map(eventTypesOf)).toEqual([...Array(5).fill(filter.types), []]);
  });
});
