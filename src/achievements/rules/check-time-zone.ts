import { describeValue } from './check.ts';
import type { RuleIssue } from './types.ts';

/**
 * An IANA time zone name as `Intl` knows it (`Europe/Berlin`, `UTC`, or a backward-compatible alias
 * such as `US/Eastern`), spelled with its canonical capitals: `asia/tokyo` works in `Intl` but is
 * refused, with the right spelling in the message, so the catalogue holds one spelling per zone.
 * Offsets such as `+05:00` are refused: a fixed offset has no DST and is rarely what is meant.
 */
export function checkTimeZone(value: unknown, path: string, issues: RuleIssue[]): value is string {
  if (typeof value !== 'string' || value.length === 0) {
    const got = value === undefined ? 'nothing' : describeValue(value);
    issues.push({
      path,
      message: `required: an IANA time zone such as "Europe/Berlin" or "UTC", got ${got}`,
    });
    return false;
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    issues.push({
      path,
      message: `unknown time zone ${describeValue(value)}; use an IANA name such as "Europe/Berlin"`,
    });
    return false;
  }
  if (/^[+-]/.test(value)) {
    issues.push({ path, message: `must be an IANA time zone name, not an offset (${describeValue(value)})` });
    return false;
  }
  if (value !== resolved && value.toLowerCase() === resolved.toLowerCase()) {
    issues.push({ path, message: `must be spelled "${resolved}", got ${describeValue(value)}` });
    return false;
  }
  return true;
}
