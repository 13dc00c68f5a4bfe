/**
 * A delivery run that outlives its job's expiry stops with it: the request in progress is cut and
 * no further recipient is tried, so the retry the jobs subsystem starts does not page alongside it.
 * Its own harness: delivery jobs expire after 2 s here (120 s in the product).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { waitFor } from '../notify/test-sinks.ts';
import type { IncidentDetail } from './read-incidents.ts';
import { alertmanagerPayload, createHarness, type Harness, postWebhook } from './test-harness.ts';

const FIRST = '+15550000011';
const SECOND = '+15550000012';

let h: Harness;

beforeAll(async () => {
  h = await createHarness({
    options: {
      escalation: [{ name: 'primary', phone: [FIRST, SECOND], channels: ['phone'] }],
      delivery: { retryLimit: 2, retryDelaySeconds: 1, concurrency: 1, batchSize: 10, expireInSeconds: 2 },
    },
  });
});
afterAll(async () => {
  await h?.close();
});

test('behavior: a run stopped at its expiry cuts the call in progress, tries no further recipient, and the retry reaches both once', async () => {
  const base = h.http.respond;
  let slowed = false;
  h.http.respond = (r) => {
    // The first call to FIRST answers after 5 s: the run expires at 2 s, well before.
    if (r.url.endsWith('/Calls.json') && r.form?.To === FIRST && !slowed) {
      slowed = true;
      return { status: 201, body: '{"sid":"CAslow"}', delayMs: 5000 };
    }
    return base(r);
  };
  const calls = (to: string) =>
    h.http.requests.filter((r) => r.url.endsWith('/Calls.json') && r.form?.To === to);
  try {
    const started = Date.now();
    const r = await postWebhook(
      h.app,
      alertmanagerPayload('api', [
        { alertname: 'ApiDown', severity: 'P0', startsAt: new Date().toISOString(), fingerprint: 'fp-api' },
      ]),
    );
    expect(r.statusCode).toBe(200);
    const id = r.json().incidentId as string;
    const settled = await waitFor(
      'the phone notification to settle',
      async () => {
        const i = await read(id);
        const phone = i.notifications.find((n) => n.channel === 'phone');
        return phone && phone.state !== 'pending' ? i : undefined;
      },
      20_000,
    );
    // Past the moment the slow answer arrives (5 s): a run that ignored its expiry would call SECOND then.
    await sleep(Math.max(0, started + 6500 - Date.now()));

    const phone = settled.notifications.find((n) => n.channel === 'phone')!;
    expect(phone).toMatchObject({ state: 'sent', attempts: 2, delivered: 2, lastError: null });
    expect(calls(FIRST)).toHaveLength(2);
    expect(calls(SECOND)).toHaveLength(1);
    const failed = settled.timeline.filter((t) => t.kind === 'notification_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({ channel: 'phone', attempt: 1, final: false, reached: 0 });
    expect(failed[0]!.message).toMatch(/voice provider: stopped: .*2 ?s/);
    expect(failed[0]!.message).toContain('not tried: stopped');
  } finally {
    h.http.respond = base;
  }
});

async function read(id: string): Promise<IncidentDetail> {
  const key = h.keys.reader;
  const r = await h.app.inject({ url: `/v1/incidents/${id}`, headers: { authorization: `Bearer ${key}` } });
  expect(r.statusCode).toBe(200);
  return r.json() as IncidentDetail;
}
