/**
 * Scopes of an API key: what the key may do.
 *
 * Format: `<resource>:<action>` — both lower-case, starting with a letter, then letters, digits
 * or `-`, at most 32 characters each (`events:write`, `achievements:admin`, `incidents:write`) —
 * or the bare `admin`.
 *
 * What a scope grants (see {@link scopeAllows}):
 * - `admin` grants every scope: it is the operators' key, and listing every scope by hand would
 *   silently miss the ones added later.
 * - `<resource>:admin` grants every `<resource>:<action>` of that resource.
 * - anything else grants exactly itself: `events:write` does not imply `events:read`, so an
 *   ingestion-only key cannot read data back.
 */
import { ValidationError } from '../errors.ts';

/** A scope string: `admin` or `<resource>:<action>` (checked at run time by {@link isScope}). */
export type Scope = 'admin' | `${string}:${string}`;

/** The one global scope; it grants every other scope. */
export const ADMIN_SCOPE = 'admin' satisfies Scope;

const PART = '[a-z][a-z0-9-]{0,31}';
/** `admin` or `<resource>:<action>`. */
export const SCOPE_PATTERN = new RegExp(`^(?:admin|${PART}:${PART})$`);

/** True when `value` is a well-formed scope. */
export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && SCOPE_PATTERN.test(value);
}

/**
 * Validates a list of scopes for a new key: at least one, each well-formed; duplicates are dropped
 * (first occurrence kept). Throws ValidationError `CB_APIKEY_SCOPE_INVALID` listing every bad entry.
 */
export function parseScopes(values: readonly unknown[]): Scope[] {
  const issues: { path: string; message: string }[] = [];
  if (values.length === 0) issues.push({ path: 'scopes', message: 'at least one scope is required' });
  values.forEach((value, i) => {
    if (!isScope(value)) {
      issues.push({
        path: `scopes[${i}]`,
        message: `${JSON.stringify(value)} is not a scope: use "admin" or "<resource>:<action>" (lower-case)`,
      });
    }
  });
  if (issues.length > 0) {
    throw new ValidationError(issues.map((i) => i.message).join('; '), issues, 'CB_APIKEY_SCOPE_INVALID');
  }
  return [...new Set(values as Scope[])];
}

/** True when a key holding `granted` may do what `required` names (rules in the module comment). */
export function scopeAllows(granted: readonly string[], required: Scope): boolean {
  if (granted.includes(ADMIN_SCOPE) || granted.includes(required)) return true;
  const colon = required.indexOf(':');
  return colon > 0 && granted.includes(`${required.slice(0, colon)}:admin`);
}
