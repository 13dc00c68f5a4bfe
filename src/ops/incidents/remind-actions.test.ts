import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Db, Queryable } from '../../platform/db/create-db.ts';
import { interleavedDb } from '../../platform/db/test-support.ts';
import { metricValue } from '../../platform/jobs/test-support.ts';
import { waitFor } from '../notify/test-sinks.ts';
import type { IncidentsContext } from './context.ts';
import { defineIncidentJobs } from './incident-jobs.ts';
import { resolveIncidentsOptions } from './options.ts';
import type { IncidentDetail } from './read-incidents.ts';
import { remindOverdueActions } from './remind-actions.ts';
import { parseActionRemindEvery } from './settings.ts';
import { alertmanagerPayload, createHarness, type Harness, postWebhook, SECRETS } from './test-harness.ts';

let h: Harness;

beforeAll(async () => {
  // The default interval (a day), as CB_INCIDENT_ACTION_REMIND_EVERY unset gives it.
  h = await createHarness();
});
afterEach(async () => {
  h.setClock(undefined);
  // Each test starts with no open item, even after one that failed half-way.
  await h.api.db.query(
    `update ops_incident_actions set status = 'done', closed_at = now() where status = 'open'`,
  );
});
afterAll(async () => {
  await h?.close();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const at = (iso: string) => h.setClock(new Date(iso));

async function incident(id: string): Promise<IncidentDetail> {
  const r = await h.app.inject({ url: `/v1/incidents/${id}`, headers: auth(h.keys.reader) });
  expect(r.statusCode).toBe(200);
  return r.json() as IncidentDetail;
}

/** A resolved P1 incident (action items come out of its postmortem). */
async function resolvedIncident(dependency: string, startsAt: string): Promise<string> {
  const opened = await postWebhook(
    h.app,
    alertmanagerPayload(dependency, [
      { alertname: 'RedisDown', severity: 'P1', startsAt, fingerprint: `fp-${dependency}` },
    ]),
  );
  const id = opened.json().incidentId as string;
  const resolved = await h.app.inject({
    method: 'POST',
    url: `/v1/incidents/${id}/resolve`,
    headers: auth(h.keys.writer),
  });
  expect(resolved.statusCode).toBe(200);
  return id;
}

async function addItem(incidentId: string, body: { title: string; owner?: string; dueAt?: string }) {
  const r = await h.app.inject({
    method: 'POST',
    url: `/v1/incidents/${incidentId}/actions`,
    headers: { ...auth(h.keys.writer), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
  expect(r.statusCode).toBe(201);
  return r.json().id as string;
}

async function patchItem(incidentId: string, actionId: string, body: unknown) {
  const r = await h.app.inject({
    method: 'PATCH',
    url: `/v1/incidents/${incidentId}/actions/${actionId}`,
    headers: { ...auth(h.keys.writer), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
  expect(r.statusCode).toBe(200);
}

/** The reminders on an incident's timeline, and its reminder notifications. */
async function reminders(incidentId: string) {
  const i = await incident(incidentId);
  return {
    entries: i.timeline.filter((t) => t.kind === 'action_overdue'),
    notifications: i.notifications.filter((n) => n.kind === 'action_overdue'),
  };
}

const sweptActions = async () => (await h.incidents.sweep()).actionsOverdue;

/** A context over `db` like the harness's, for calling the operation itself. */
function contextWith(patch: Partial<IncidentsContext>): IncidentsContext {
  return {
    db: h.api.db,
    jobs: h.jobs,
    defs: defineIncidentJobs(h.incidents.options),
    logger: h.common.logger,
    metrics: h.common.metrics,
    options: h.incidents.options,
    ...patch,
  };
}

describe('overdue action item reminders', () => {
  test('default: an open item past its due date is reminded once on the update channels, not again within the interval, again after it', async () => {
    try {
      at('2026-06-01T10:00:00Z');
      const id = await resolvedIncident('redis-a', '2026-06-01T09:58:00Z');
      const item = await addItem(id, {
        title: 'Alert on Redis memory before eviction',
        owner: 'ana',
        dueAt: '2026-06-03T00:00:00Z',
      });
      const undated = await addItem(id, { title: 'Try a managed Redis' });
      const before = (await metricValue(h.common, 'cb_incident_action_reminders_total', {})) ?? 0;

      at('2026-06-03T00:00:00Z'); // due, not yet past due
      expect(await sweptActions()).toBe(0);
      at('2026-06-03T00:01:00Z');
      expect(await sweptActions()).toBe(1);
      expect(await sweptActions()).toBe(0); // not twice in one interval
      const first = await reminders(id);
      const text = `Action item #${item} is overdue: Alert on Redis memory before eviction (owner ana), due 2026-06-03 00:00 UTC, 1 minute late. Mark it done, drop it with a note saying why, or move its due date.`;
      expect(first.entries).toEqual([
        expect.objectContaining({
          at: '2026-06-03T00:01:00.000Z',
          actor: null,
          message: text,
          data: { actionId: item, owner: 'ana', dueAt: '2026-06-03T00:00:00.000Z', everyMinutes: 1440 },
        }),
      ]);
      expect(first.notifications.map((n) => n.channel)).toEqual(['slack']);
      const slack = await waitFor('the reminder on Slack', () =>
        h.http.requests.find(
          (r) =>
            r.url === SECRETS.slackPath &&
            String((r.json as { text?: string }).text).includes(`ACTION ITEM OVERDUE #${id}:`),
        ),
      );
      expect(JSON.stringify(slack.json)).toContain(
        `Action item #${item} is overdue: Alert on Redis memory before eviction (owner ana), due 2026-06-03 00:00 UTC`,
      );
      expect(await metricValue(h.common, 'cb_incident_action_reminders_total', {})).toBe(before + 1);

      // A day after the reminder, not before; then a day after that one.
      at('2026-06-04T00:00:59Z');
      expect(await sweptActions()).toBe(0);
      at('2026-06-04T00:01:00Z');
      expect(await sweptActions()).toBe(1);
      const second = await reminders(id);
      expect(second.entries.map((e) => e.message)).toEqual([
        text,
        text.replace('1 minute late', '24 hours late'),
      ]);
      expect(second.notifications).toHaveLength(2);
      expect(await metricValue(h.common, 'cb_incident_action_reminders_total', {})).toBe(before + 2);
      // The undated item never is.
      expect(second.entries.every((e) => e.data.actionId === item)).toBe(true);
      await patchItem(id, item, { status: 'done' });
      await patchItem(id, undated, { status: 'dropped', note: 'not needed' });
    } finally {
      h.setClock(undefined);
    }
  });

  test('behavior: a done, dropped or rescheduled item is not reminded; one moved but overdue again is reminded at once', async () => {
    try {
      at('2026-07-01T10:00:00Z');
      const id = await resolvedIncident('redis-b', '2026-07-01T09:58:00Z');
      const due = '2026-07-02T00:00:00Z';
      const done = await addItem(id, { title: 'Add a replica', owner: 'bo', dueAt: due });
      const dropped = await addItem(id, { title: 'Shard the cache', dueAt: due });
      const moved = await addItem(id, { title: 'Write the runbook', owner: 'cy', dueAt: due });

      // Each is reminded once when it falls overdue …
      at('2026-07-02T09:00:00Z');
      expect(await sweptActions()).toBe(3);
      // … then one is done, one dropped, one moved three hours on.
      await patchItem(id, done, { status: 'done', note: 'replica up' });
      await patchItem(id, dropped, { status: 'dropped', note: 'not worth it' });
      await patchItem(id, moved, { dueAt: '2026-07-02T12:00:00Z' });
      at('2026-07-02T11:59:00Z');
      expect(await sweptActions()).toBe(0);
      // Overdue again: reminded at once, not a day after its last reminder.
      at('2026-07-02T12:05:00Z');
      expect(await sweptActions()).toBe(1);
      const { entries } = await reminders(id);
      expect(entries.map((e) => e.data.actionId)).toEqual([done, dropped, moved, moved]);
      expect(entries[3]!.message).toBe(
        `Action item #${moved} is overdue: Write the runbook (owner cy), due 2026-07-02 12:00 UTC, 5 minutes late. Mark it done, drop it with a note saying why, or move its due date.`,
      );

      // A day after the first reminders: done and dropped stay quiet; the moved one counts its day
      // from its own last reminder.
      at('2026-07-03T09:00:00Z');
      expect(await sweptActions()).toBe(0);
      at('2026-07-03T12:05:00Z');
      expect(await sweptActions()).toBe(1);
      // Moved into the future: quiet until then.
      await patchItem(id, moved, { dueAt: '2026-07-10T00:00:00Z' });
      at('2026-07-05T00:00:00Z');
      expect(await sweptActions()).toBe(0);
      // Reopening a done item past its due date makes it due again.
      await patchItem(id, done, { status: 'open' });
      expect(await sweptActions()).toBe(1);
      expect((await reminders(id)).entries.map((e) => e.data.actionId)).toEqual([
        done,
        dropped,
        moved,
        moved,
        moved,
        done,
      ]);

      for (const item of [done, moved]) await patchItem(id, item, { status: 'done' });
      at('2026-07-20T00:00:00Z');
      expect(await sweptActions()).toBe(0);
      expect((await reminders(id)).entries).toHaveLength(6);
    } finally {
      h.setClock(undefined);
    }
  });

  test('behavior: two sweeps at once send one reminder', async () => {
    try {
      at('2026-08-01T10:00:00Z');
      const id = await resolvedIncident('redis-c', '2026-08-01T09:58:00Z');
      const item = await addItem(id, { title: 'Cap client connections', dueAt: '2026-08-02T00:00:00Z' });

      // Side by side (on PostgreSQL on two connections).
      at('2026-08-02T01:00:00Z');
      const both = await Promise.all([h.incidents.sweep(), h.incidents.sweep()]);
      expect(both.map((r) => r.actionsOverdue).sort()).toEqual([0, 1]);

      // One sweep lists the item, the other reminds it before the first takes its lock: the first
      // finds it reminded and sends nothing.
      at('2026-08-03T01:00:00Z');
      const plain = contextWith({});
      let other = -1;
      const spy = interleavedDb(h.api.db, /from ops_incident_actions a\s+where/, async () => {
        other = await remindOverdueActions(plain);
      });
      expect(await remindOverdueActions(contextWith({ db: spy.db }))).toBe(0);
      expect(spy.wrote()).toBe(true);
      expect(other).toBe(1);

      const { entries, notifications } = await reminders(id);
      expect(entries.map((e) => e.at)).toEqual(['2026-08-02T01:00:00.000Z', '2026-08-03T01:00:00.000Z']);
      expect(notifications).toHaveLength(2);
      await patchItem(id, item, { status: 'done' });
    } finally {
      h.setClock(undefined);
    }
  });

  test('behavior: a crash before the commit loses nothing, one after it doubles nothing', async () => {
    try {
      at('2026-08-10T10:00:00Z');
      const id = await resolvedIncident('redis-e', '2026-08-10T09:58:00Z');
      await addItem(id, { title: 'Page on replication lag', owner: 'di', dueAt: '2026-08-11T00:00:00Z' });
      at('2026-08-11T06:00:00Z');

      // The process dies while writing the reminder: the transaction rolls back whole.
      const db = h.api.db;
      const dying: Db = {
        ...db,
        transaction: (fn) =>
          db.transaction((tx) =>
            fn({
              ...tx,
              query: (async (text, params, options) => {
                if (/insert into ops_notifications/.test(text)) throw new Error('process killed');
                return tx.query(text, params, options);
              }) as Queryable['query'],
            }),
          ),
      };
      // It is logged and left for the next sweep: nothing reminded.
      expect(await remindOverdueActions(contextWith({ db: dying }))).toBe(0);
      expect((await reminders(id)).entries).toEqual([]);

      // Next time it commits, but dies before queueing the delivery.
      const down = {
        ...h.jobs,
        send: async () => {
          throw new Error('process killed');
        },
      };
      expect(await remindOverdueActions(contextWith({ jobs: down }))).toBe(1);
      const written = await reminders(id);
      expect(written.entries).toHaveLength(1);
      expect(written.notifications).toEqual([
        expect.objectContaining({ channel: 'slack', state: 'pending' }),
      ]);

      // The sweep after a restart queues it once and reminds nothing twice.
      at('2026-08-11T06:01:00Z');
      expect(await h.incidents.sweep()).toMatchObject({ actionsOverdue: 0, requeued: 1 });
      await waitFor('the reminder delivered', async () =>
        (await reminders(id)).notifications.every((n) => n.state === 'sent') ? true : undefined,
      );
      const slack = h.http.requests.filter(
        (r) =>
          r.url === SECRETS.slackPath &&
          String((r.json as { text?: string }).text).includes(`ACTION ITEM OVERDUE #${id}:`),
      );
      expect(slack).toHaveLength(1);
      expect((await reminders(id)).entries).toHaveLength(1);
    } finally {
      h.setClock(undefined);
    }
  });

  test('args: off sends none', async () => {
    try {
      at('2026-09-01T10:00:00Z');
      const id = await resolvedIncident('redis-d', '2026-09-01T09:58:00Z');
      const item = await addItem(id, { title: 'Alert on evictions', dueAt: '2026-09-02T00:00:00Z' });
      at('2026-09-05T00:00:00Z');
      const off = contextWith({ options: { ...h.incidents.options, actionRemindEveryMinutes: null } });
      expect(await remindOverdueActions(off)).toBe(0);
      expect((await reminders(id)).entries).toEqual([]);
      // The same item with reminders on: it was due.
      expect(await remindOverdueActions(contextWith({}))).toBe(1);
      await patchItem(id, item, { status: 'done' });
    } finally {
      h.setClock(undefined);
    }
  });

  test('args: CB_INCIDENT_ACTION_REMIND_EVERY is a day by default, whole minutes from 1m to 30d, or off', () => {
    expect(resolveIncidentsOptions({}).actionRemindEveryMinutes).toBe(1440);
    expect(parseActionRemindEvery('24h')).toBe(1440);
    expect(parseActionRemindEvery(' 90m ')).toBe(90);
    expect(parseActionRemindEvery('7d')).toBe(10_080);
    expect(parseActionRemindEvery('120s')).toBe(2);
    expect(parseActionRemindEvery('30d')).toBe(43_200);
    expect(parseActionRemindEvery('OFF')).toBeNull();
    expect(resolveIncidentsOptions({ actionRemindEveryMinutes: null }).actionRemindEveryMinutes).toBeNull();
  });

  test('error: other values are refused, saying what is wanted', () => {
    for (const bad of ['0m', '90s', '31d', '24', 'daily', '-1h', '1.5h', ''])
      expect(() => parseActionRemindEvery(bad), bad).toThrow(
        /must be a duration of whole minutes from 1m to 30d such as 24h, 90m or 7d, or off/,
      );
    expect(() => resolveIncidentsOptions({ actionRemindEveryMinutes: 0 })).toThrow(
      /actionRemindEveryMinutes must be a whole number from 1 to 43200, or null for no reminders/,
    );
    expect(() => resolveIncidentsOptions({ actionRemindEveryMinutes: 1.5 })).toThrow(
      /actionRemindEveryMinutes must be/,
    );
  });
});
