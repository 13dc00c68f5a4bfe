import { readField } from './read-field.ts';
import type { Condition, EventFilter, RuleEvent } from './types.ts';

/**
 * Whether an event passes a rule's filter: its type is listed, its source is listed (when
 * `sources` is given), and every condition holds.
 *
 * Conditions, on the value at `field` (see `readField`):
 * - `eq`, `in`: strict equality (`"12"` is not `12`).
 * - `gte`, `lte`: the value must be a JSON number; anything else, including a numeric string such as
 *   `"12.5"`, does not match. This keeps one notion of a field's type across `eq` and `gte`, and
 *   avoids guessing at `"1e3"`, `" 12"` or `"0x10"`; producers put numbers in the data as numbers.
 * - `exists`: the field is present and not `null` (`value` defaults to `true`; `exists: false`
 *   matches when it is absent or `null`).
 */
export function matchesFilter(filter: EventFilter, event: RuleEvent): boolean {
  if (!filter.types.includes(event.type)) return false;
  if (filter.sources !== undefined && !filter.sources.includes(event.source)) return false;
  if (filter.conditions === undefined) return true;
  return filter.conditions.every((condition) => holds(condition, readField(event.data, condition.field)));
}

function holds(condition: Condition, value: unknown): boolean {
  switch (condition.op) {
    case 'eq':
      return value === condition.value;
    case 'in':
      return condition.values.some((candidate) => candidate === value);
    case 'gte':
      return typeof value === 'number' && value >= condition.value;
    case 'lte':
      return typeof value === 'number' && value <= condition.value;
    case 'exists':
      return (value !== undefined && value !== null) === (condition.value ?? true);
  }
}
