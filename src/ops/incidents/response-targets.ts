/**
 * Response targets (seed 3.1) and the acknowledgement deadline of an incident.
 *
 * Each severity has a target inside working hours and one outside (judged at the moment the clock
 * starts). A target is a number of minutes on one of two clocks: `wall` (24/7) or `working` (runs
 * only in working hours, so "2 hours" raised on Friday evening ends Monday 11:00). Defaults:
 *
 * | severity | in working hours       | outside working hours                          |
 * |----------|------------------------|------------------------------------------------|
 * | P0       | 5 min (24/7)           | 5 min (24/7) — "immediately"                   |
 * | P1       | 30 min                 | 2 h                                            |
 * | P2       | 2 h of working time    | 2 h of working time: the next working day      |
 * | P3       | 24 h of working time   | 24 h of working time                           |
 */

import type { Severity } from './types.ts';
import { SEVERITIES } from './types.ts';
import { addWorkingTime, isWorkingTime, type WorkingCalendar } from './working-calendar.ts';

/** Which clock a target runs on. */
export type ResponseClock = 'wall' | 'working';

/** A response time: `minutes` (fractions allowed) on a clock. */
export interface ResponseTarget {
  minutes: number;
  clock: ResponseClock;
}

/** The target of one severity inside and outside working hours. */
export interface SeverityTarget {
  inHours: ResponseTarget;
  offHours: ResponseTarget;
}

export type ResponseTargets = Readonly<Record<Severity, SeverityTarget>>;

/** The seed's targets (see the module comment). */
export const DEFAULT_RESPONSE_TARGETS: ResponseTargets = Object.freeze({
  P0: { inHours: { minutes: 5, clock: 'wall' }, offHours: { minutes: 5, clock: 'wall' } },
  P1: { inHours: { minutes: 30, clock: 'wall' }, offHours: { minutes: 120, clock: 'wall' } },
  P2: { inHours: { minutes: 120, clock: 'working' }, offHours: { minutes: 120, clock: 'working' } },
  P3: { inHours: { minutes: 1440, clock: 'working' }, offHours: { minutes: 1440, clock: 'working' } },
});

/**
 * When an incident of `severity` whose clock started at `from` must be acknowledged (the first
 * deadline counts from creation; after an escalation the next step's clock starts at the escalation).
 */
export function ackDeadline(
  severity: Severity,
  from: Date,
  calendar: WorkingCalendar,
  targets: ResponseTargets = DEFAULT_RESPONSE_TARGETS,
): Date {
  const t = targets[severity];
  const target = isWorkingTime(calendar, from) ? t.inHours : t.offHours;
  const ms = Math.round(target.minutes * 60_000);
  return target.clock === 'wall' ? new Date(from.getTime() + ms) : addWorkingTime(calendar, from, ms);
}

/**
 * Parses the settings format `P0=5,P1=30/120,P2=120w,P3=1440w`: per severity, minutes inside
 * working hours, then optionally `/` minutes outside; a `w` suffix puts a target on the working-time
 * clock. Severities not named keep their default. Throws `Error` naming the bad part.
 */
export function parseResponseTargets(text: string, base: ResponseTargets = DEFAULT_RESPONSE_TARGETS) {
  const out: Record<Severity, SeverityTarget> = { ...base };
  const one = (raw: string, where: string): ResponseTarget => {
    const m = /^(\d+(?:\.\d+)?)(w?)$/.exec(raw.trim());
    if (!m || Number(m[1]) < 0)
      throw new Error(`${where}: "${raw}" must be minutes, optionally followed by w (working time)`);
    return { minutes: Number(m[1]), clock: m[2] === 'w' ? 'working' : 'wall' };
  };
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const severity = part.slice(0, eq).trim().toUpperCase();
    if (eq < 0 || !(SEVERITIES as readonly string[]).includes(severity))
      throw new Error(`"${part}" must look like P1=30/120`);
    const [inside, outside] = part.slice(eq + 1).split('/');
    const inHours = one(inside ?? '', severity);
    out[severity as Severity] = {
      inHours,
      offHours: outside === undefined ? inHours : one(outside, severity),
    };
  }
  return Object.freeze(out) as ResponseTargets;
}
