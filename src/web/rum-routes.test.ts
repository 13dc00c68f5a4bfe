import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApi, type TestApi } from '../api/test-context.ts';
import { RUM_MAX_ITEMS } from './rum-routes.ts';
import { createWebTestApp, seriesValue, type WebTestApp } from './test-support.ts';

let t: TestApi;
let web: WebTestApp;

beforeAll(async () => {
  t = await createTestApi();
  web = await createWebTestApp(t);
});
afterAll(async () => {
  await web?.close();
  await t?.close();
});

const post = (payload: unknown, contentType = 'application/json') =>
  web.app.inject({
    method: 'POST',
    url: '/v1/rum',
    headers: { 'content-type': contentType },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

const count = (name: string, labels: Record<string, string>) => seriesValue(web.metrics, name, labels);

describe('POST /v1/rum', () => {
  test('default: every item kind lands in its metric, without an API key', async () => {
    const res = await post({
      sessionId: 'sess-default-1',
      items: [
        { t: 'vital', name: 'LCP', page: '/achievements', ms: 812 },
        { t: 'vital', name: 'page_load', page: '/achievements', ms: 1500 },
        { t: 'cls', page: '/achievements', value: 0.02 },
        { t: 'api', route: '/v1/proposals/:id', ms: 120, outcome: 'ok' },
        { t: 'api', route: '/v1/proposals/:id', ms: 10_000, outcome: 'timeout' },
        { t: 'error', page: '/proposals/:id' },
        { t: 'view', page: '/proposals' },
        { t: 'time', page: '/proposals', ms: 53_000 },
        { t: 'feature', name: 'vote' },
        { t: 'session', outcome: 'engaged', page: '/proposals/:id' },
        { t: 'conversion', goal: 'first_vote_after_sign_in' },
      ],
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 11, rejected: 0, issues: [] });
    expect(await count('cb_web_vital_seconds_count', { name: 'LCP', page: '/achievements' })).toBe(1);
    expect(await count('cb_web_vital_seconds_sum', { name: 'LCP', page: '/achievements' })).toBeCloseTo(
      0.812,
    );
    expect(
      await count('cb_web_vital_seconds_bucket', { name: 'page_load', page: '/achievements', le: '1.5' }),
    ).toBe(1);
    expect(await count('cb_web_cls_count', { page: '/achievements' })).toBe(1);
    expect(await count('cb_frontend_api_calls_total', { route: '/v1/proposals/:id' })).toBe(2);
    expect(
      await count('cb_frontend_api_failures_total', { route: '/v1/proposals/:id', kind: 'timeout' }),
    ).toBe(1);
    expect(await count('cb_frontend_api_duration_seconds_count', { route: '/v1/proposals/:id' })).toBe(2);
    expect(await count('cb_frontend_errors_total', { page: '/proposals/:id' })).toBe(1);
    expect(await count('cb_frontend_page_views_total', { page: '/proposals' })).toBe(1);
    expect(await count('cb_frontend_time_on_page_seconds_sum', { page: '/proposals' })).toBe(53);
    expect(await count('cb_frontend_feature_use_total', { feature: 'vote' })).toBe(1);
    expect(await count('cb_frontend_sessions_total', { outcome: 'engaged', page_type: 'proposal' })).toBe(1);
    expect(await count('cb_frontend_conversions_total', { goal: 'first_vote_after_sign_in' })).toBe(1);
  });

  test('behavior: sendBeacon bodies (text/plain JSON) are accepted; broken ones are 400 CB_BAD_JSON', async () => {
    const beacon = await post({ items: [{ t: 'view', page: '/ops/health' }] }, 'text/plain;charset=UTF-8');
    expect(beacon.statusCode).toBe(202);
    expect(await count('cb_frontend_page_views_total', { page: '/ops/health' })).toBe(1);
    const broken = await post('{"items": [', 'text/plain;charset=UTF-8');
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe('CB_BAD_JSON');
  });

  test('behavior: labels are clamped to the known sets; bad items are skipped and reported, good ones kept', async () => {
    const res = await post({
      sessionId: 'sess-clamp-1',
      items: [
        { t: 'view', page: '/users/0xabc/secret' },
        { t: 'api', route: '/v1/users/0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', ms: 5, outcome: 'error' },
        { t: 'feature', name: 'free text from a browser' },
        { t: 'conversion', goal: 'made_up' },
        { t: 'vital', name: 'LCP', page: '/', ms: -1 },
        { t: 'vital', name: 'XYZ', page: '/', ms: 1 },
        { t: 'cls', page: '/', value: 'big' },
        { t: 'api', route: '/v1/proposals', ms: 5, outcome: 'maybe' },
        { t: 'nope' },
        { t: 'view', page: '/' },
      ],
    });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 4, rejected: 6 });
    expect(body.issues.map((i: { path: string }) => i.path)).toEqual([
      'items.3.goal',
      'items.4.ms',
      'items.5.name',
      'items.6.value',
      'items.7.outcome',
      'items.8.t',
    ]);
    expect(await count('cb_frontend_page_views_total', { page: 'other' })).toBe(1);
    expect(await count('cb_frontend_page_views_total', { page: '/' })).toBe(1);
    expect(await count('cb_frontend_api_failures_total', { route: 'other', kind: 'error' })).toBe(1);
    expect(await count('cb_frontend_feature_use_total', { feature: 'other' })).toBe(1);
    const text = await web.metrics.registry.metrics();
    expect(text).not.toContain('0xabc');
    expect(text).not.toContain('made_up');
  });

  test('behavior: a session outcome and a conversion count once per session', async () => {
    const bounced = { outcome: 'bounced', page_type: 'achievements' };
    const before = (await count('cb_frontend_sessions_total', bounced)) ?? 0;
    const items = [
      { t: 'session', outcome: 'bounced', page: '/achievements' },
      { t: 'conversion', goal: 'sign_in_completed' },
    ];
    await post({ sessionId: 'sess-once-1', items });
    await post({ sessionId: 'sess-once-1', items });
    await post({ sessionId: 'sess-once-2', items });
    expect(await count('cb_frontend_sessions_total', bounced)).toBe(before + 2);
    expect(await count('cb_frontend_conversions_total', { goal: 'sign_in_completed' })).toBe(2);
    const anonymous = await post({ items });
    expect(anonymous.json()).toMatchObject({ accepted: 0, rejected: 2 });
  });

  test('behavior: a session counts under the type of the page it landed on; an unknown page is other, a missing one refused', async () => {
    const res = await post({
      sessionId: 'sess-type-1',
      items: [{ t: 'session', outcome: 'bounced', page: '/' }],
    });
    expect(res.json()).toMatchObject({ accepted: 1, rejected: 0 });
    expect(await count('cb_frontend_sessions_total', { outcome: 'bounced', page_type: 'home' })).toBe(1);

    const unknown = await post({
      sessionId: 'sess-type-2',
      items: [{ t: 'session', outcome: 'bounced', page: '/users/0xabc/secret' }],
    });
    expect(unknown.json()).toMatchObject({ accepted: 1, rejected: 0 });
    expect(await count('cb_frontend_sessions_total', { outcome: 'bounced', page_type: 'other' })).toBe(1);
    expect(await web.metrics.registry.metrics()).not.toContain('0xabc');

    // Refused before the session is remembered: a corrected outcome of the same session still counts.
    const missing = await post({
      sessionId: 'sess-type-3',
      items: [
        { t: 'session', outcome: 'engaged' },
        { t: 'session', outcome: 'engaged', page: 42 },
      ],
    });
    expect(missing.json()).toEqual({
      accepted: 0,
      rejected: 2,
      issues: [
        { path: 'items.0.page', message: 'a string of 1-200 characters' },
        { path: 'items.1.page', message: 'a string of 1-200 characters' },
      ],
    });
    const retried = await post({
      sessionId: 'sess-type-3',
      items: [{ t: 'session', outcome: 'engaged', page: '/ops/incidents/:id' }],
    });
    expect(retried.json()).toMatchObject({ accepted: 1, rejected: 0 });
    expect(await count('cb_frontend_sessions_total', { outcome: 'engaged', page_type: 'ops' })).toBe(1);
  });

  test('error: too many items or an oversized body are refused whole', async () => {
    const many = await post({
      items: Array.from({ length: RUM_MAX_ITEMS + 1 }, () => ({ t: 'view', page: '/' })),
    });
    expect(many.statusCode).toBe(400);
    expect(many.json().error.code).toBe('CB_VALIDATION');
    const huge = await post({ items: [{ t: 'view', page: 'x'.repeat(70_000) }] });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('CB_BODY_TOO_LARGE');
    const badSession = await post({ sessionId: 'a b', items: [] });
    expect(badSession.statusCode).toBe(400);
  });
});
