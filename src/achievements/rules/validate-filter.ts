import { checkFieldPath, checkObject, checkOneOf, checkStringList, describeValue } from './check.ts';
import type { Condition, RuleIssue } from './types.ts';

const FILTER_FIELDS = ['types', 'sources', 'conditions'] as const;
const OPS = ['eq', 'in', 'gte', 'lte', 'exists'] as const satisfies readonly Condition['op'][];
const OP_FIELDS: Record<Condition['op'], readonly string[]> = {
  eq: ['field', 'op', 'value'],
  in: ['field', 'op', 'values'],
  gte: ['field', 'op', 'value'],
  lte: ['field', 'op', 'value'],
  exists: ['field', 'op', 'value'],
};

/** Longest accepted `in` list; the filter is checked on every event, so it stays small. */
export const MAX_IN_VALUES = 1000;

/**
 * The issues with an `EventFilter` at `path` (empty when valid). `types` is required and non-empty;
 * `sources`, when given, is non-empty too (omit it to accept any source); each condition carries
 * exactly the fields its `op` uses.
 */
export function validateFilter(filter: unknown, path: string): RuleIssue[] {
  const issues: RuleIssue[] = [];
  if (!checkObject(filter, path, FILTER_FIELDS, issues)) return issues;
  checkStringList(filter.types, `${path}.types`, issues);
  if (filter.sources !== undefined) checkStringList(filter.sources, `${path}.sources`, issues);
  if (filter.conditions !== undefined) {
    if (!Array.isArray(filter.conditions)) {
      issues.push({
        path: `${path}.conditions`,
        message: `must be a list of conditions, got ${describeValue(filter.conditions)}`,
      });
    } else {
      filter.conditions.forEach((condition: unknown, i) => {
        validateCondition(condition, `${path}.conditions.${i}`, issues);
      });
    }
  }
  return issues;
}

function validateCondition(condition: unknown, path: string, issues: RuleIssue[]): void {
  if (!checkObject(condition, path, ['field', 'op', 'value', 'values'], issues)) return;
  checkFieldPath(condition.field, `${path}.field`, issues);
  if (!checkOneOf(condition.op, `${path}.op`, OPS, issues)) return;
  const op = condition.op;
  for (const key of Object.keys(condition)) {
    if ((key === 'value' || key === 'values') && !OP_FIELDS[op].includes(key)) {
      issues.push({
        path: `${path}.${key}`,
        message: `unknown field for op "${op}"; expected: ${OP_FIELDS[op].join(', ')}`,
      });
    }
  }
  switch (op) {
    case 'eq':
      if (!isScalar(condition.value)) {
        issues.push({
          path: `${path}.value`,
          message: `must be a string, finite number or boolean, got ${describeValue(condition.value)}`,
        });
      }
      return;
    case 'in': {
      const values = condition.values;
      if (!Array.isArray(values) || values.length === 0 || values.length > MAX_IN_VALUES) {
        issues.push({
          path: `${path}.values`,
          message: `must be a list of 1 to ${MAX_IN_VALUES} strings, numbers or booleans, got ${describeValue(values)}`,
        });
        return;
      }
      values.forEach((value: unknown, i) => {
        if (!isScalar(value)) {
          issues.push({
            path: `${path}.values.${i}`,
            message: `must be a string, finite number or boolean, got ${describeValue(value)}`,
          });
        }
      });
      return;
    }
    case 'gte':
    case 'lte':
      if (typeof condition.value !== 'number' || !Number.isFinite(condition.value)) {
        issues.push({
          path: `${path}.value`,
          message: `must be a finite number, got ${describeValue(condition.value)}`,
        });
      }
      return;
    case 'exists':
      if (condition.value !== undefined && typeof condition.value !== 'boolean') {
        issues.push({
          path: `${path}.value`,
          message: `must be a boolean (or omitted, meaning true), got ${describeValue(condition.value)}`,
        });
      }
      return;
  }
}

function isScalar(value: unknown): value is string | number | boolean {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}
