/** A query-string time of the operators' routes: a duration back from now or a past ISO 8601 time. */
import { parsePastTime } from '../platform/duration.ts';
import { ValidationError } from '../platform/errors.ts';

/** @throws ValidationError naming `field` when `text` is neither. */
export function pastTimeParam(text: string, field: string): Date {
  const d = parsePastTime(text);
  if (!d)
    throw new ValidationError(`${field} must be a duration such as 15m, 24h or 7d, or a past ISO 8601 time`, [
      { path: `/${field}`, message: `not a duration or a past time: ${text}` },
    ]);
  return d;
}
