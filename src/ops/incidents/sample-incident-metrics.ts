/**
 * `cb_incidents{severity,state}`, `cb_incident_actions_open{overdue}` and
 * `cb_alert_heartbeat_last_timestamp_seconds` sampled from the database, so every instance reports
 * the same cluster-wide figures (and a restart loses nothing). Every severity × state is set, zeros
 * included; the heartbeat only once one arrived.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { heartbeatState } from './alerting-heartbeat.ts';
import { countOpenActions } from './incident-actions.ts';
import { INCIDENT_STATES, type IncidentState, SEVERITIES, type Severity } from './types.ts';

export async function sampleIncidentMetrics(
  db: Queryable,
  metrics: Metrics,
  now = new Date(),
): Promise<void> {
  const { rows } = await db.query<{ severity: Severity; state: IncidentState; n: number }>(
    'select severity, state, count(*)::int as n from ops_incidents group by severity, state',
  );
  const counts = new Map(rows.map((r) => [`${r.severity}/${r.state}`, r.n]));
  for (const severity of SEVERITIES)
    for (const state of INCIDENT_STATES)
      metrics.incidents.set({ severity, state }, counts.get(`${severity}/${state}`) ?? 0);
  const actions = await countOpenActions(db, now);
  metrics.incidentActionsOpen.set({ overdue: 'true' }, actions.overdue);
  metrics.incidentActionsOpen.set({ overdue: 'false' }, actions.open - actions.overdue);
  const { lastAt } = await heartbeatState({ db });
  if (lastAt) metrics.alertHeartbeatLast.set(lastAt.getTime() / 1000);
}
