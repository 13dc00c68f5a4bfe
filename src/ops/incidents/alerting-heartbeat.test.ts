/**
 * The alerting pipeline's dead man's switch: Alertmanager's always-firing AlertingHeartbeat is
 * recorded, never an incident; when it stops for 10 minutes cb opens AlertingPipelineSilent (P1)
 * through its own channels, and resolves it when the beat is back. Its own harness and clock: the
 * heartbeat is one row of the database, which other suites' sweeps would read.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { metricValue } from '../../platform/jobs/test-support.ts';
import type { IncidentDetail } from './read-incidents.ts';
import { alertmanagerPayload, createHarness, type Harness, postWebhook } from './test-harness.ts';

let h: Harness;
const T0 = new Date('2026-05-04T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

beforeAll(async () => {
  // Sweeps are run by hand here, on a set clock.
  h = await createHarness({ startJobs: false });
});
afterAll(async () => {
  await h?.close();
});

const heartbeat = (status: 'firing' | 'resolved' = 'firing') => ({
  ...alertmanagerPayload('host', [
    {
      alertname: 'AlertingHeartbeat',
      severity: 'P3',
      status,
      startsAt: '2026-05-01T00:00:00Z',
      fingerprint: 'fp-heartbeat',
      labels: { correlation: 'serving' },
    },
  ]),
  receiver: 'cb-heartbeat',
  groupKey: '{}/{alertname="AlertingHeartbeat"}:{alertname="AlertingHeartbeat"}',
});

async function silenceIncidents(): Promise<IncidentDetail[]> {
  const page = (await h.incidents.list({ limit: 100 })).items;
  const details = await Promise.all(page.map((i) => h.incidents.get(i.id)));
  return details.filter((d) => d.alerts.some((a) => a.alertname === 'AlertingPipelineSilent'));
}

test('behavior: no beat ever: nothing to page about (no monitoring set up yet)', async () => {
  h.setClock(at(0));
  expect(await h.incidents.sweep()).toMatchObject({ heartbeat: 'none' });
  await h.incidents.sampleMetrics();
  expect(await metricValue(h.common, 'cb_alert_heartbeat_last_timestamp_seconds', {})).toBeUndefined();
});

test('default: a heartbeat is recorded and opens no incident; a silence of 10 minutes opens AlertingPipelineSilent (P1) once; the next beat resolves it', async () => {
  h.setClock(at(0));
  const r = await postWebhook(h.app, heartbeat());
  expect(r.statusCode).toBe(200);
  expect(r.json()).toMatchObject({ status: 'ok', incidentId: null, outcome: 'heartbeat' });
  expect((await h.incidents.list({ limit: 100 })).items).toEqual([]);
  await h.incidents.sampleMetrics();
  expect(await metricValue(h.common, 'cb_alert_heartbeat_last_timestamp_seconds', {})).toBe(
    T0.getTime() / 1000,
  );

  // A resolved heartbeat (Prometheus stopped sending) is not a beat.
  h.setClock(at(5));
  await postWebhook(h.app, heartbeat('resolved'));
  await h.incidents.sampleMetrics();
  expect(await metricValue(h.common, 'cb_alert_heartbeat_last_timestamp_seconds', {})).toBe(
    T0.getTime() / 1000,
  );

  h.setClock(at(10));
  expect(await h.incidents.sweep()).toMatchObject({ heartbeat: 'none' }); // 10 min: not yet over
  h.setClock(at(10.5));
  expect(await h.incidents.sweep()).toMatchObject({ heartbeat: 'opened' });
  const [incident, ...more] = await silenceIncidents();
  expect(more).toEqual([]);
  expect(incident).toMatchObject({ severity: 'P1', state: 'triggered' });
  const alert = incident!.alerts.find((a) => a.alertname === 'AlertingPipelineSilent')!;
  expect(alert).toMatchObject({ severity: 'P1', status: 'firing' });
  expect(Date.parse(alert.startsAt)).toBe(at(10).getTime());
  // Paged through cb's own P1 channels (SMS, e-mail, Slack), not through Alertmanager.
  expect(new Set(incident!.notifications.map((n) => n.channel))).toEqual(new Set(['sms', 'email', 'slack']));

  // Still silent a minute later: the same alert instance, no second incident.
  h.setClock(at(11.5));
  expect(await h.incidents.sweep()).toMatchObject({ heartbeat: 'none' });
  expect(await silenceIncidents()).toHaveLength(1);

  // The pipeline is back.
  h.setClock(at(12));
  await postWebhook(h.app, heartbeat());
  expect(await h.incidents.sweep()).toMatchObject({ heartbeat: 'resolved' });
  const [after] = await silenceIncidents();
  expect(after).toMatchObject({ id: incident!.id, state: 'resolved' });
  expect(after!.alerts.find((a) => a.alertname === 'AlertingPipelineSilent')).toMatchObject({
    status: 'resolved',
  });
  expect(await h.incidents.sweep()).toMatchObject({ heartbeat: 'none' });

  // Silent again later: a new incident (a re-trigger), linked to the first.
  h.setClock(at(30));
  expect(await h.incidents.sweep()).toMatchObject({ heartbeat: 'opened' });
  const all = await silenceIncidents();
  expect(all).toHaveLength(2);
  expect(all.find((i) => i.id !== incident!.id)).toMatchObject({
    state: 'triggered',
    previousId: incident!.id,
  });
});
