import { checkPositiveInteger, checkRule, isRecord } from './check.ts';
import type { DefinitionOf, RuleType } from './rule-type.ts';
import type { RuleIssue } from './types.ts';
import { validateFilter } from './validate-filter.ts';

/** `{ type: 'count', filter, target }`: unlocked by `target` matching events. */
export type CountDefinition = DefinitionOf<'count'>;

/** The number of matching events applied. Bound: one integer. */
export interface CountState {
  count: number;
}

const FIELDS = ['type', 'filter', 'target'] as const;

/** N matching events. `current` is the real count (it keeps rising past the target). */
export const count: RuleType<CountDefinition, CountState> = {
  type: 'count',

  validate(def, path) {
    const issues: RuleIssue[] = [];
    if (!checkRule(def, path, 'count', FIELDS, issues)) return issues;
    issues.push(...validateFilter(def.filter, `${path}.filter`));
    checkPositiveInteger(def.target, `${path}.target`, issues);
    return issues;
  },

  initialState: () => ({ count: 0 }),

  apply: (_def, state) => ({ count: state.count + 1 }),

  progress: (def, state) => ({ current: state.count, target: def.target, done: state.count >= def.target }),

  eventTypes: (def) => [...def.filter.types],

  isState: (value): value is CountState =>
    isRecord(value) &&
    typeof value.count === 'number' &&
    Number.isSafeInteger(value.count) &&
    value.count >= 0,
};
