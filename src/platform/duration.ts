/**
 * Durations as people type them on a command line or in a query string: a whole number with `s`,
 * `m`, `h` or `d` (`90s`, `15m`, `24h`, `7d`).
 */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/**
 * Seconds of `text` (`24h` → 86400), or undefined when it is not a duration. A bare number is
 * taken as seconds only when `bareSeconds` is set.
 */
export function parseDurationSeconds(text: string, bareSeconds = false): number | undefined {
  const m = /^(\d{1,7})([smhd])?$/.exec(text.trim());
  if (!m || (m[2] === undefined && !bareSeconds)) return undefined;
  return Number(m[1]) * UNIT_SECONDS[(m[2] ?? 's') as keyof typeof UNIT_SECONDS];
}

/**
 * A window's start as typed: a duration back from `now` (`24h`: a day ago) or a time (ISO 8601);
 * undefined when it is neither.
 */
export function parseSince(text: string, now = Date.now()): Date | undefined {
  const seconds = parseDurationSeconds(text);
  if (seconds !== undefined) return new Date(now - seconds * 1000);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return undefined;
  const d = new Date(text.trim());
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** {@link parseSince}, refusing a time after `now` (a window that has not started). */
export function parsePastTime(text: string, now = Date.now()): Date | undefined {
  const d = parseSince(text, now);
  return d && d.getTime() <= now ? d : undefined;
}
