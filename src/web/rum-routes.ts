/**
 * `POST /v1/rum` (public): real-user monitoring batches from the console → the frontend metrics
 * (`cb_web_vital_seconds`, `cb_frontend_*`; see docs/metrics.md). Accepts `application/json` and
 * `text/plain` JSON (what `navigator.sendBeacon` sends), at most 64 KiB and 200 items, rate
 * limited per IP like every route.
 *
 * Labels are bounded whatever a browser sends: `page` must be a console route pattern and `route`
 * an API route pattern from rum-catalogue.ts (anything else counts as `other`), `feature` likewise,
 * and `goal` must be a known goal. A session's `page` (where it landed) is counted as its page type
 * (`pageTypeOf`), the label its bounce rate is judged by. Each item is checked on its own: a bad
 * item is skipped and reported (`rejected`, `issues`) without losing the good ones. Session
 * outcomes and conversions count once per `sessionId` on this instance (an LRU remembers the last
 * 50 000 sessions for a day).
 *
 * ```json
 * { "sessionId": "k3…", "items": [
 *   { "t": "vital", "name": "LCP", "page": "/achievements", "ms": 812 },
 *   { "t": "cls", "page": "/achievements", "value": 0.02 },
 *   { "t": "api", "route": "/v1/proposals/:id", "ms": 120, "outcome": "ok" },
 *   { "t": "error", "page": "/proposals/:id" },
 *   { "t": "view", "page": "/proposals" },
 *   { "t": "time", "page": "/proposals", "ms": 53000 },
 *   { "t": "feature", "name": "vote" },
 *   { "t": "session", "outcome": "engaged", "page": "/proposals" },
 *   { "t": "conversion", "goal": "first_vote_after_sign_in" } ] }
 * ```
 */
import type { FastifyPluginAsync } from 'fastify';
import { LRUCache } from 'lru-cache';
import { Type } from 'typebox';
import type { Metrics } from '../platform/metrics.ts';
import {
  API_OUTCOMES,
  API_ROUTES,
  type ApiOutcome,
  CONSOLE_PAGES,
  clampLabel,
  FEATURES,
  GOALS,
  pageTypeOf,
  VITALS,
} from './rum-catalogue.ts';

/** Largest RUM body, bytes. */
export const RUM_BODY_LIMIT_BYTES = 65_536;
/** Most items in one batch. */
export const RUM_MAX_ITEMS = 200;
/** Longest timing accepted (ms): anything longer is a broken clock, not a measurement. */
const MAX_TIMING_MS = 600_000;
/** Longest time on a page accepted (ms). */
const MAX_TIME_ON_PAGE_MS = 86_400_000;

export interface RumRoutesDeps {
  metrics: Metrics;
  /** Sessions remembered for deduplication. @defaultValue 50_000 */
  sessionMemory?: number | undefined;
}

interface Issue {
  path: string;
  message: string;
}

type Item = Record<string, unknown>;
type Apply = (item: Item, at: string, sessionId: string | undefined) => Issue | undefined;

const RumBody = Type.Object(
  {
    sessionId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' })),
    items: Type.Array(Type.Object({ t: Type.String({ maxLength: 20 }) }, { additionalProperties: true }), {
      maxItems: RUM_MAX_ITEMS,
    }),
  },
  { additionalProperties: false },
);

function bad(path: string, message: string): Issue {
  return { path, message };
}

function timing(item: Item, at: string, field: string, max: number): number | Issue {
  const v = item[field];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max)
    return bad(`${at}.${field}`, `a number of milliseconds from 0 to ${max}`);
  return v;
}

function label(item: Item, at: string, field: string, allowed: readonly string[]): string | Issue {
  const v = item[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > 200)
    return bad(`${at}.${field}`, 'a string of 1-200 characters');
  return clampLabel(allowed, v);
}

const isIssue = (v: unknown): v is Issue => typeof v === 'object' && v !== null && 'path' in v;

export function rumRoutes(deps: RumRoutesDeps): FastifyPluginAsync {
  const { metrics } = deps;
  const seen = new LRUCache<string, true>({ max: deps.sessionMemory ?? 50_000, ttl: 86_400_000 });
  const once = (key: string) => {
    if (seen.has(key)) return false;
    seen.set(key, true);
    return true;
  };

  const apply: Record<string, Apply> = {
    vital(item, at) {
      const name = item.name;
      if (typeof name !== 'string' || !(VITALS as readonly string[]).includes(name))
        return bad(`${at}.name`, `one of ${VITALS.join(', ')}`);
      const page = label(item, at, 'page', CONSOLE_PAGES);
      const ms = timing(item, at, 'ms', MAX_TIMING_MS);
      if (isIssue(page)) return page;
      if (isIssue(ms)) return ms;
      metrics.webVital.observe({ name, page }, ms / 1000);
      return undefined;
    },
    cls(item, at) {
      const page = label(item, at, 'page', CONSOLE_PAGES);
      if (isIssue(page)) return page;
      const v = item.value;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100)
        return bad(`${at}.value`, 'a layout shift score from 0 to 100');
      metrics.webCls.observe({ page }, v);
      return undefined;
    },
    api(item, at) {
      const route = label(item, at, 'route', API_ROUTES);
      const ms = timing(item, at, 'ms', MAX_TIMING_MS);
      const outcome = item.outcome;
      if (isIssue(route)) return route;
      if (isIssue(ms)) return ms;
      if (typeof outcome !== 'string' || !(API_OUTCOMES as readonly string[]).includes(outcome))
        return bad(`${at}.outcome`, `one of ${API_OUTCOMES.join(', ')}`);
      metrics.frontendApiCalls.inc({ route });
      metrics.frontendApiDuration.observe({ route }, ms / 1000);
      if ((outcome as ApiOutcome) !== 'ok') metrics.frontendApiFailures.inc({ route, kind: outcome });
      return undefined;
    },
    error(item, at) {
      const page = label(item, at, 'page', CONSOLE_PAGES);
      if (isIssue(page)) return page;
      metrics.frontendErrors.inc({ page });
      return undefined;
    },
    view(item, at) {
      const page = label(item, at, 'page', CONSOLE_PAGES);
      if (isIssue(page)) return page;
      metrics.frontendPageViews.inc({ page });
      return undefined;
    },
    time(item, at) {
      const page = label(item, at, 'page', CONSOLE_PAGES);
      const ms = timing(item, at, 'ms', MAX_TIME_ON_PAGE_MS);
      if (isIssue(page)) return page;
      if (isIssue(ms)) return ms;
      metrics.frontendTimeOnPage.observe({ page }, ms / 1000);
      return undefined;
    },
    feature(item, at) {
      const feature = label(item, at, 'name', FEATURES);
      if (isIssue(feature)) return feature;
      metrics.frontendFeatureUse.inc({ feature });
      return undefined;
    },
    session(item, at, sessionId) {
      const outcome = item.outcome;
      if (outcome !== 'bounced' && outcome !== 'engaged') return bad(`${at}.outcome`, 'bounced or engaged');
      const landing = label(item, at, 'page', CONSOLE_PAGES);
      if (isIssue(landing)) return landing;
      if (!sessionId) return bad('sessionId', 'required for session outcomes');
      if (once(`session:${sessionId}`))
        metrics.frontendSessions.inc({ outcome, page_type: pageTypeOf(landing) });
      return undefined;
    },
    conversion(item, at, sessionId) {
      const goal = item.goal;
      if (typeof goal !== 'string' || !(GOALS as readonly string[]).includes(goal))
        return bad(`${at}.goal`, `one of ${GOALS.join(', ')}`);
      if (!sessionId) return bad('sessionId', 'required for conversions');
      if (once(`goal:${goal}:${sessionId}`)) metrics.frontendConversions.inc({ goal });
      return undefined;
    },
  };

  return async (app) => {
    // sendBeacon posts a string as text/plain: parse it as JSON here (this plugin only).
    app.removeContentTypeParser('text/plain');
    app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(
          Object.assign(new Error('the body is not valid JSON'), {
            statusCode: 400,
            code: 'FST_ERR_CTP_INVALID_JSON_BODY',
          }),
        );
      }
    });

    app.post(
      '/v1/rum',
      {
        config: { scope: 'public', accessLogLevel: 'debug' },
        bodyLimit: RUM_BODY_LIMIT_BYTES,
        schema: {
          tags: ['web'],
          summary:
            'Real-user monitoring batch from the web console (JSON, or text/plain JSON from sendBeacon).',
          body: RumBody,
          response: {
            202: Type.Object({
              accepted: Type.Integer(),
              rejected: Type.Integer(),
              issues: Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
                description: 'The first 20 problems.',
              }),
            }),
          },
        },
      },
      async (request, reply) => {
        const { sessionId, items } = request.body as { sessionId?: string; items: Item[] };
        const issues: Issue[] = [];
        let accepted = 0;
        items.forEach((item, i) => {
          const at = `items.${i}`;
          const handler = Object.hasOwn(apply, item.t as string) ? apply[item.t as string] : undefined;
          const issue = handler
            ? handler(item, at, sessionId)
            : bad(`${at}.t`, `one of ${Object.keys(apply).join(', ')}`);
          if (issue) issues.push(issue);
          else accepted++;
        });
        reply.code(202);
        return { accepted, rejected: issues.length, issues: issues.slice(0, 20) };
      },
    );
  };
}
