import { createHash } from 'node:crypto';
import { checkFieldPath, checkPositiveInteger, checkRule, isRecord } from './check.ts';
import { insertionPoint } from './insertion-point.ts';
import { readField } from './read-field.ts';
import type { DefinitionOf, RuleType } from './rule-type.ts';
import type { RuleIssue } from './types.ts';
import { validateFilter } from './validate-filter.ts';

/** `{ type: 'distinct', filter, field, target }`: unlocked by `target` different values of the field. */
export type DistinctDefinition = DefinitionOf<'distinct'>;

/** Largest accepted target: the state holds one key per value up to the target. */
export const MAX_DISTINCT_TARGET = 1000;

/** Values longer than this (in characters) are kept as a hash rather than verbatim. */
export const MAX_DISTINCT_KEY_LENGTH = 80;

/**
 * The distinct values seen, as sorted keys: `s:<string>`, `n:<number>`, `b:<boolean>`, or
 * `h:<sha-256 hex>` for a key longer than 80 characters. Sorted, so the same set of values gives the
 * same state in any order. Bound: at most `target` (≤ 1000) keys of at most 80 characters each;
 * once `target` values are held, further values are not stored.
 */
export interface DistinctState {
  values: string[];
}

const FIELDS = ['type', 'filter', 'field', 'target'] as const;

/**
 * N distinct values of a data field. Values are compared by JSON identity: the string `"1"` and the
 * number `1` differ, `1` and `1.0` are the same. Only strings, numbers and booleans count; a missing
 * field, `null`, an object or an array leaves the state as it is. `current` is the number of values
 * held, which stops at `target` (the state stops growing there).
 */
export const distinct: RuleType<DistinctDefinition, DistinctState> = {
  type: 'distinct',

  validate(def, path) {
    const issues: RuleIssue[] = [];
    if (!checkRule(def, path, 'distinct', FIELDS, issues)) return issues;
    issues.push(...validateFilter(def.filter, `${path}.filter`));
    checkFieldPath(def.field, `${path}.field`, issues);
    checkPositiveInteger(def.target, `${path}.target`, issues, MAX_DISTINCT_TARGET);
    return issues;
  },

  initialState: () => ({ values: [] }),

  apply(def, state, event) {
    if (state.values.length >= def.target) return state;
    const key = keyOf(readField(event.data, def.field));
    if (key === undefined) return state;
    const at = insertionPoint(state.values, key);
    if (state.values[at] === key) return state;
    return { values: [...state.values.slice(0, at), key, ...state.values.slice(at)] };
  },

  progress: (def, state) => ({
    current: state.values.length,
    target: def.target,
    done: state.values.length >= def.target,
  }),

  eventTypes: (def) => [...def.filter.types],

  isState: (value): value is DistinctState =>
    isRecord(value) && Array.isArray(value.values) && value.values.every((v) => typeof v === 'string'),
};

function keyOf(value: unknown): string | undefined {
  let key: string;
  if (typeof value === 'string') key = `s:${value}`;
  else if (typeof value === 'number' && Number.isFinite(value)) key = `n:${String(value)}`;
  else if (typeof value === 'boolean') key = `b:${String(value)}`;
  else return undefined;
  return key.length <= MAX_DISTINCT_KEY_LENGTH ? key : `h:${createHash('sha256').update(key).digest('hex')}`;
}
