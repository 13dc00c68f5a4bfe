/**
 * The small checks every rule validator is made of. They share one vocabulary (a dot `path`, an
 * `issues` list they append to) and are only useful together, so they live in one file.
 *
 * Each check appends at most one issue for the value it is given (plus one per unknown field for
 * `checkObject`) and returns whether the value is usable, so a caller can skip checks that depend on it.
 */
import type { RuleIssue } from './types.ts';

/** A short, bounded rendering of a bad value for an issue message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text.length > 40 ? `${text.slice(0, 37)}...` : text;
  }
  return 'an object';
}

/** Whether `value` is a JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object whose keys are all in `allowed`; each unknown key is an issue at its own path. */
export function checkObject(
  value: unknown,
  path: string,
  allowed: readonly string[],
  issues: RuleIssue[],
): value is Record<string, unknown> {
  if (!isRecord(value)) {
    issues.push({ path, message: `must be an object, got ${describeValue(value)}` });
    return false;
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      issues.push({
        path: `${path}.${key}`,
        message: `unknown field; expected one of: ${allowed.join(', ')}`,
      });
    }
  }
  return true;
}

/** A safe integer in `1..max`. */
export function checkPositiveInteger(
  value: unknown,
  path: string,
  issues: RuleIssue[],
  max = Number.MAX_SAFE_INTEGER,
): value is number {
  if (value === undefined) {
    issues.push({ path, message: 'required: a positive integer' });
    return false;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer from 1 to ${max}`;
    issues.push({ path, message: `must be ${range}, got ${describeValue(value)}` });
    return false;
  }
  return true;
}

/** A finite number > 0 (decimals allowed). */
export function checkPositiveNumber(value: unknown, path: string, issues: RuleIssue[]): value is number {
  if (value === undefined) {
    issues.push({ path, message: 'required: a positive number' });
    return false;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    issues.push({ path, message: `must be a positive number, got ${describeValue(value)}` });
    return false;
  }
  return true;
}

/** One of the listed strings. */
export function checkOneOf<T extends string>(
  value: unknown,
  path: string,
  options: readonly T[],
  issues: RuleIssue[],
): value is T {
  if (typeof value === 'string' && (options as readonly string[]).includes(value)) return true;
  const got = value === undefined ? 'required' : `got ${describeValue(value)}`;
  issues.push({ path, message: `must be one of: ${options.join(', ')} (${got})` });
  return false;
}

/** Longest accepted field path, in characters. */
export const MAX_FIELD_PATH_LENGTH = 200;

const FIELD_PATH = /^[^.\s]+(\.[^.\s]+)*$/;

/** A dot path into event data: non-empty segments without whitespace (`amount`, `item.kind`, `items.0`). */
export function checkFieldPath(value: unknown, path: string, issues: RuleIssue[]): value is string {
  if (value === undefined) {
    issues.push({ path, message: 'required: a dot path into the event data, e.g. "amount" or "item.kind"' });
    return false;
  }
  if (typeof value !== 'string' || value.length > MAX_FIELD_PATH_LENGTH || !FIELD_PATH.test(value)) {
    issues.push({
      path,
      message: `must be a dot path of non-empty segments without spaces (at most ${MAX_FIELD_PATH_LENGTH} characters), got ${describeValue(value)}`,
    });
    return false;
  }
  return true;
}

/** A non-empty array of distinct non-empty strings; a bad item is an issue at its index. */
export function checkStringList(value: unknown, path: string, issues: RuleIssue[]): value is string[] {
  if (value === undefined) {
    issues.push({ path, message: 'required: a non-empty list of strings' });
    return false;
  }
  if (!Array.isArray(value) || value.length === 0) {
    issues.push({ path, message: `must be a non-empty list of strings, got ${describeValue(value)}` });
    return false;
  }
  const seen = new Set<string>();
  let ok = true;
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'string' || item.length === 0) {
      issues.push({
        path: `${path}.${i}`,
        message: `must be a non-empty string, got ${describeValue(item)}`,
      });
      ok = false;
    } else if (seen.has(item)) {
      issues.push({ path: `${path}.${i}`, message: `duplicate value ${describeValue(item)}` });
      ok = false;
    } else {
      seen.add(item);
    }
  });
  return ok;
}

/** A rule definition object of the given `type` with only the `allowed` fields. */
export function checkRule(
  def: unknown,
  path: string,
  type: string,
  allowed: readonly string[],
  issues: RuleIssue[],
): def is Record<string, unknown> {
  if (!checkObject(def, path, allowed, issues)) return false;
  if (def.type !== type) {
    issues.push({ path: `${path}.type`, message: `must be "${type}", got ${describeValue(def.type)}` });
  }
  return true;
}
