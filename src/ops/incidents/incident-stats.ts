/**
 * Reliability figures by severity and period (seed 9.1 可靠性指标: MTTR, MTBF; plus MTTA):
 *
 * - MTTA: mean time from an incident's creation to its acknowledgement, over the incidents created
 *   in the period that were acknowledged;
 * - MTTR: mean time from creation to resolution, over those created in the period and resolved;
 * - MTBF: mean time between failures = (period − downtime) ÷ incidents created in the period, where
 *   downtime is the union of the incidents' impact windows (first alert `startsAt` → resolution, or
 *   the end of the period while unresolved) clipped to the period; null without incidents.
 *
 * Periods are `[from, to)`; `bucket` (day, week from Monday, month — in UTC) splits them.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import { ValidationError } from '../../platform/errors.ts';
import { SEVERITIES, type Severity } from './types.ts';

export interface ReliabilityFigures {
  incidents: number;
  acknowledged: number;
  resolved: number;
  mttaSeconds: number | null;
  mttrSeconds: number | null;
  mtbfSeconds: number | null;
  downtimeSeconds: number;
}

export interface PeriodStats {
  from: string;
  to: string;
  all: ReliabilityFigures;
  bySeverity: Record<Severity, ReliabilityFigures>;
}

export interface IncidentStats extends PeriodStats {
  buckets?: PeriodStats[];
}

export type StatsBucket = 'day' | 'week' | 'month';

export interface StatsQuery {
  from?: Date | undefined;
  to?: Date | undefined;
  bucket?: StatsBucket | undefined;
}

interface Row {
  severity: Severity;
  started_at: Date;
  created_at: Date;
  acknowledged_at: Date | null;
  resolved_at: Date | null;
}

const DAY = 86_400_000;
const MAX_BUCKETS = 400;

const mean = (values: number[]) =>
  values.length === 0
    ? null
    : Math.round((values.reduce((a, b) => a + b, 0) / values.length / 1000) * 1000) / 1000;

/** Figures of `rows` over `[from, to)` (pure). */
export function reliability(rows: readonly Row[], from: number, to: number, now: number): ReliabilityFigures {
  const created = rows.filter((r) => r.created_at.getTime() >= from && r.created_at.getTime() < to);
  const acked = created.filter((r) => r.acknowledged_at);
  const resolved = created.filter((r) => r.resolved_at);
  const windows = rows
    .map((r) => [
      Math.max(r.started_at.getTime(), from),
      Math.min(r.resolved_at?.getTime() ?? Math.min(now, to), to),
    ])
    .filter(([a, b]) => b! > a!)
    .sort((x, y) => x[0]! - y[0]!);
  let downtime = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [a, b] of windows as [number, number][]) {
    if (b <= end) continue;
    downtime += b - Math.max(a, end);
    end = b;
  }
  return {
    incidents: created.length,
    acknowledged: acked.length,
    resolved: resolved.length,
    mttaSeconds: mean(acked.map((r) => r.acknowledged_at!.getTime() - r.created_at.getTime())),
    mttrSeconds: mean(resolved.map((r) => r.resolved_at!.getTime() - r.created_at.getTime())),
    mtbfSeconds: created.length === 0 ? null : Math.round((to - from - downtime) / created.length / 1000),
    downtimeSeconds: Math.round(downtime / 1000),
  };
}

function period(rows: readonly Row[], from: number, to: number, now: number): PeriodStats {
  const bySeverity = Object.fromEntries(
    SEVERITIES.map((s) => [
      s,
      reliability(
        rows.filter((r) => r.severity === s),
        from,
        to,
        now,
      ),
    ]),
  ) as Record<Severity, ReliabilityFigures>;
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    all: reliability(rows, from, to, now),
    bySeverity,
  };
}

/** The start of the bucket after the one holding `t` (UTC). */
function nextBoundary(t: number, bucket: StatsBucket): number {
  const d = new Date(t);
  if (bucket === 'day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  if (bucket === 'week') {
    const weekday = (d.getUTCDay() + 6) % 7; // Monday = 0
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - weekday + 7);
  }
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export async function incidentStats(db: Queryable, query: StatsQuery, now: Date): Promise<IncidentStats> {
  const to = (query.to ?? now).getTime();
  const from = (query.from ?? new Date(to - 30 * DAY)).getTime();
  if (!(from < to))
    throw new ValidationError('from must be before to', [{ path: 'from', message: 'must be before to' }]);
  if (to - from > 3700 * DAY)
    throw new ValidationError('the period is longer than 10 years', [
      { path: 'from', message: 'at most 10 years before to' },
    ]);
  const { rows } = await db.query<Row>(
    `select severity, started_at, created_at, acknowledged_at, resolved_at from ops_incidents
      where started_at < $2 and (resolved_at is null or resolved_at > $1)`,
    [new Date(from).toISOString(), new Date(to).toISOString()],
  );
  const stats: IncidentStats = period(rows, from, to, now.getTime());
  if (query.bucket) {
    const buckets: PeriodStats[] = [];
    for (let start = from; start < to; ) {
      const end = Math.min(nextBoundary(start, query.bucket), to);
      buckets.push(period(rows, start, end, now.getTime()));
      if (buckets.length > MAX_BUCKETS)
        throw new ValidationError(
          `more than ${MAX_BUCKETS} buckets; choose a longer bucket or a shorter period`,
          [{ path: 'bucket', message: `at most ${MAX_BUCKETS} buckets` }],
        );
      start = end;
    }
    stats.buckets = buckets;
  }
  return stats;
}
