import { describe, expect, test } from 'vitest';
import { validateFilter } from './validate-filter.ts';

const paths = (filter: unknown) => validateFilter(filter, 'rule.filter').map((i) => i.path);

describe('validateFilter', () => {
  test('default: types alone', () => {
    expect(validateFilter({ types: ['vote.cast'] }, 'rule.filter')).toEqual([]);
  });

  test('args: every condition op', () => {
    expect(
      validateFilter(
        {
          types: ['vote.cast'],
          sources: ['snapshot'],
          conditions: [
            { field: 'choice', op: 'eq', value: 'yes' },
            { field: 'chain', op: 'in', values: ['base', 1, true] },
            { field: 'amount', op: 'gte', value: 0.5 },
            { field: 'amount', op: 'lte', value: 100 },
            { field: 'ref', op: 'exists' },
            { field: 'item.ref', op: 'exists', value: false },
          ],
        },
        'rule.filter',
      ),
    ).toEqual([]);
  });

  test('error: types required and non-empty; sources non-empty when given', () => {
    expect(validateFilter({}, 'rule.filter')).toEqual([
      { path: 'rule.filter.types', message: 'required: a non-empty list of strings' },
    ]);
    expect(paths({ types: [] })).toEqual(['rule.filter.types']);
    expect(paths({ types: ['a', ''] })).toEqual(['rule.filter.types.1']);
    expect(paths({ types: ['a', 'a'] })).toEqual(['rule.filter.types.1']);
    expect(paths({ types: 'a' })).toEqual(['rule.filter.types']);
    expect(paths({ types: ['a'], sources: [] })).toEqual(['rule.filter.sources']);
    expect(paths({ types: ['a'], sources: [3] })).toEqual(['rule.filter.sources.0']);
    expect(paths(null)).toEqual(['rule.filter']);
    expect(paths(['a'])).toEqual(['rule.filter']);
  });

  test('error: unknown fields, at their own paths', () => {
    expect(validateFilter({ types: ['a'], type: 'a' }, 'rule.filter')).toEqual([
      { path: 'rule.filter.type', message: 'unknown field; expected one of: types, sources, conditions' },
    ]);
    expect(paths({ types: ['a'], conditions: [{ field: 'x', op: 'eq', value: 1, colour: 'red' }] })).toEqual([
      'rule.filter.conditions.0.colour',
    ]);
    expect(paths({ types: ['a'], conditions: [{ field: 'x', op: 'eq', value: 1, values: [1] }] })).toEqual([
      'rule.filter.conditions.0.values',
    ]);
    expect(paths({ types: ['a'], conditions: [{ field: 'x', op: 'in', values: [1], value: 1 }] })).toEqual([
      'rule.filter.conditions.0.value',
    ]);
  });

  test('error: a bad op lists the valid ones', () => {
    expect(
      validateFilter({ types: ['a'], conditions: [{ field: 'x', op: 'neq', value: 1 }] }, 'rule.filter'),
    ).toEqual([
      {
        path: 'rule.filter.conditions.0.op',
        message: 'must be one of: eq, in, gte, lte, exists (got "neq")',
      },
    ]);
    expect(paths({ types: ['a'], conditions: [{ field: 'x', value: 1 }] })).toEqual([
      'rule.filter.conditions.0.op',
    ]);
  });

  test('error: values that do not fit the op', () => {
    const c = (condition: unknown) =>
      paths({ types: ['a'], conditions: [{ field: 'x', ...(condition as object) }] });
    expect(c({ op: 'eq' })).toEqual(['rule.filter.conditions.0.value']);
    expect(c({ op: 'eq', value: null })).toEqual(['rule.filter.conditions.0.value']);
    expect(c({ op: 'eq', value: { a: 1 } })).toEqual(['rule.filter.conditions.0.value']);
    expect(c({ op: 'in', values: [] })).toEqual(['rule.filter.conditions.0.values']);
    expect(c({ op: 'in', values: [1, null] })).toEqual(['rule.filter.conditions.0.values.1']);
    expect(c({ op: 'gte', value: '10' })).toEqual(['rule.filter.conditions.0.value']);
    expect(c({ op: 'lte' })).toEqual(['rule.filter.conditions.0.value']);
    expect(c({ op: 'exists', value: 'yes' })).toEqual(['rule.filter.conditions.0.value']);
    expect(paths({ types: ['a'], conditions: {} })).toEqual(['rule.filter.conditions']);
    expect(paths({ types: ['a'], conditions: ['x'] })).toEqual(['rule.filter.conditions.0']);
  });

  test('error: field paths are non-empty dot paths', () => {
    for (const field of ['', '.a', 'a.', 'a..b', 'a b', 7, undefined, 'x'.repeat(201)]) {
      expect(paths({ types: ['a'], conditions: [{ field, op: 'exists' }] })).toEqual([
        'rule.filter.conditions.0.field',
      ]);
    }
  });
});
