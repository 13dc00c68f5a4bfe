import { checkFieldPath, checkPositiveNumber, checkRule, isRecord } from './check.ts';
import { addDecimals, compareDecimals, type DecimalString, decimalOf, isDecimalString } from './decimal.ts';
import { readField } from './read-field.ts';
import type { DefinitionOf, RuleType } from './rule-type.ts';
import type { RuleIssue } from './types.ts';
import { validateFilter } from './validate-filter.ts';

/** `{ type: 'sum', filter, field, target }`: unlocked when the field adds up to `target` (a decimal). */
export type SumDefinition = DefinitionOf<'sum'>;

/**
 * The exact total as a canonical decimal string (`"0.3"`). Bound: a number read from JSON prints with
 * at most ~330 significant places on either side of the point, so the string stays under ~700
 * characters whatever is added (a few dozen for ordinary amounts).
 */
export interface SumState {
  sum: DecimalString;
}

const FIELDS = ['type', 'filter', 'field', 'target'] as const;

/**
 * A numeric data field adds up to `target`, exactly (0.1 + 0.2 reaches 0.3).
 *
 * Only positive JSON numbers add: a missing, non-number (numeric strings included, as in
 * `matchesFilter`), zero or negative value leaves the state as it is. Ignoring negatives keeps
 * progress from going down, so whether and when a member unlocks cannot depend on the order in which
 * a refund and a payment arrive. `current` is the total as the nearest number, not capped; `done` is
 * decided exactly, on the decimals.
 */
export const sum: RuleType<SumDefinition, SumState> = {
  type: 'sum',

  validate(def, path) {
    const issues: RuleIssue[] = [];
    if (!checkRule(def, path, 'sum', FIELDS, issues)) return issues;
    issues.push(...validateFilter(def.filter, `${path}.filter`));
    checkFieldPath(def.field, `${path}.field`, issues);
    checkPositiveNumber(def.target, `${path}.target`, issues);
    return issues;
  },

  initialState: () => ({ sum: '0' }),

  apply(def, state, event) {
    const value = readField(event.data, def.field);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return state;
    return { sum: addDecimals(state.sum, decimalOf(value)) };
  },

  progress: (def, state) => ({
    current: Number(state.sum),
    target: def.target,
    done: compareDecimals(state.sum, decimalOf(def.target)) >= 0,
  }),

  eventTypes: (def) => [...def.filter.types],

  isState: (value): value is SumState => isRecord(value) && isDecimalString(value.sum),
};
