/**
 * The bounded label sets of real-user monitoring, shared by the browser (which maps what it sees
 * to these) and the server (which clamps what it receives to these). Pure TypeScript with no
 * imports: the web console imports this very file, so the two sides can never disagree.
 *
 * - `CONSOLE_PAGES`: the console's route patterns, the `page` label (anything else is `other`).
 * - `PAGE_TYPES`: those pages grouped by what a visit is for, the `page_type` label of a session's
 *   landing page (`cb_frontend_sessions_total`), which the bounce-rate levels are set per.
 * - `API_ROUTES`: the API route patterns the console calls, the `route` label (else `other`).
 * - `FEATURES`: console features counted by `cb_frontend_feature_use_total` (else `other`).
 * - `GOALS`: conversion goals (`cb_frontend_conversions_total`); unknown goals are rejected.
 */

/** Route patterns of the console, most specific first (`/ops/catalogue/new` before `:id`). */
export const CONSOLE_PAGES = [
  '/',
  '/sign-in',
  '/achievements',
  '/proposals',
  '/proposals/:id',
  '/voting-power',
  '/delegation',
  '/ops',
  '/ops/health',
  '/ops/incidents',
  '/ops/incidents/:id',
  '/ops/queues',
  '/ops/queues/:queue',
  '/ops/chain',
  '/ops/backups',
  '/ops/audit',
  '/ops/logs',
  '/ops/catalogue',
  '/ops/catalogue/new',
  '/ops/catalogue/:id',
] as const;
export type ConsolePage = (typeof CONSOLE_PAGES)[number];

/**
 * Landing page types of a session (`cb_frontend_sessions_total{page_type}`): the console's pages
 * grouped by what a visit there is for, since that decides how many one-page visits are normal.
 * Each has its bounce-rate warning level in deploy/prometheus/rules/frontend.yml (a test checks
 * both lists agree). `other` is a path the console has no page for ("Page not found").
 */
export const PAGE_TYPES = [
  'home',
  'sign_in',
  'achievements',
  'proposals',
  'proposal',
  'voting_power',
  'delegation',
  'ops',
  'other',
] as const;
export type PageType = (typeof PAGE_TYPES)[number];

/** The page type of each console page; every operator page is `ops` (few sessions each). */
const PAGE_TYPE_OF: Record<ConsolePage, PageType> = {
  '/': 'home',
  '/sign-in': 'sign_in',
  '/achievements': 'achievements',
  '/proposals': 'proposals',
  '/proposals/:id': 'proposal',
  '/voting-power': 'voting_power',
  '/delegation': 'delegation',
  '/ops': 'ops',
  '/ops/health': 'ops',
  '/ops/incidents': 'ops',
  '/ops/incidents/:id': 'ops',
  '/ops/queues': 'ops',
  '/ops/queues/:queue': 'ops',
  '/ops/chain': 'ops',
  '/ops/backups': 'ops',
  '/ops/audit': 'ops',
  '/ops/logs': 'ops',
  '/ops/catalogue': 'ops',
  '/ops/catalogue/new': 'ops',
  '/ops/catalogue/:id': 'ops',
};

/** API route patterns the console calls (as Fastify declares them). */
export const API_ROUTES = [
  '/readyz',
  '/v1/whoami',
  '/v1/web/config',
  '/v1/auth/nonce',
  '/v1/auth/siwe',
  '/v1/auth/session',
  '/v1/auth/logout',
  '/v1/users/:address/achievements',
  '/v1/users/:address/achievements/:id/explain',
  '/v1/achievements',
  '/v1/achievements/:id',
  '/v1/achievements/:id/versions',
  '/v1/governance',
  '/v1/proposals',
  '/v1/proposals/:id',
  '/v1/proposals/:id/votes',
  '/v1/voting-power/:address',
  '/v1/delegations',
  '/v1/delegations/:address',
  '/v1/incidents',
  '/v1/incidents/stats',
  '/v1/incidents/actions',
  '/v1/incidents/:id',
  '/v1/incidents/:id/ack',
  '/v1/incidents/:id/updates',
  '/v1/incidents/:id/resolve',
  '/v1/incidents/:id/postmortem',
  '/v1/incidents/:id/close',
  '/v1/incidents/:id/actions',
  '/v1/incidents/:id/actions/:actionId',
  '/v1/ops/health',
  '/v1/ops/queues',
  '/v1/ops/queues/:queue/dead-letters',
  '/v1/ops/queues/:queue/dead-letters/:id/retry',
  '/v1/ops/chain',
  '/v1/ops/mints/failed',
  '/v1/ops/mints/failed/retry',
  '/v1/ops/mints/:id/retry',
  '/v1/ops/backups',
  '/v1/ops/audit',
  '/v1/ops/db/slow-queries',
  '/v1/ops/logs',
  '/v1/ops/logs/errors',
] as const;
export type ApiRoute = (typeof API_ROUTES)[number];

/** Features whose use is counted. */
export const FEATURES = [
  'sign_in_injected',
  'sign_in_dev',
  'sign_out',
  'explain_progress',
  'vote',
  'delegate',
  'operator_key',
  'incident_ack',
  'incident_update',
  'incident_resolve',
  'incident_close',
  'incident_action_add',
  'incident_action_update',
  'postmortem_save',
  'dead_letter_retry',
  'mint_retry',
  'achievement_save',
] as const;
export type Feature = (typeof FEATURES)[number];

/**
 * Conversion goals, each reached at most once per browser session:
 * - `first_vote_after_sign_in`: a ballot accepted after signing in, in the same session;
 * - `first_delegation_after_sign_in`: a delegation accepted after signing in, in the same session;
 * - `sign_in_completed`: a wallet sign-in that succeeded (of the sessions that tried).
 */
export const GOALS = [
  'first_vote_after_sign_in',
  'first_delegation_after_sign_in',
  'sign_in_completed',
] as const;
export type Goal = (typeof GOALS)[number];

/** Web Vitals reported (`cb_web_vital_seconds{name}`); CLS has its own histogram. */
export const VITALS = ['FCP', 'LCP', 'INP', 'FID', 'TTFB', 'page_load'] as const;
export type Vital = (typeof VITALS)[number];

/** How a browser API call ended (`ok` is counted in calls and durations only). */
export const API_OUTCOMES = ['ok', 'error', 'timeout', 'incomplete'] as const;
export type ApiOutcome = (typeof API_OUTCOMES)[number];

/** The bounded label for anything not in a list. */
export const OTHER = 'other';

/**
 * Matches a concrete path (no query, no hash) against a pattern of `/`-separated segments where
 * `:name` matches one non-empty segment. Returns the parameters, or undefined.
 */
export function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) {
      if (g === '') return undefined;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return undefined;
      }
    } else if (w !== g) return undefined;
  }
  return params;
}

/** Strips the query and hash and a trailing slash (except the root). */
function cleanPath(raw: string): string {
  const path = raw.split(/[?#]/, 1)[0] ?? '';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function firstMatch<T extends string>(patterns: readonly T[], raw: string): T | undefined {
  const path = cleanPath(raw);
  return patterns.find((p) => matchPattern(p, path) !== undefined);
}

/** The console page pattern of a browser path, or `other`. */
export function pageOf(path: string): ConsolePage | typeof OTHER {
  return firstMatch(CONSOLE_PAGES, path) ?? OTHER;
}

/** The page type of a console page pattern (as `pageOf` returns it); `other` for anything else. */
export function pageTypeOf(page: string): PageType {
  return Object.hasOwn(PAGE_TYPE_OF, page) ? PAGE_TYPE_OF[page as ConsolePage] : OTHER;
}

/** The API route pattern of a request path, or `other`. */
export function apiRouteOf(path: string): ApiRoute | typeof OTHER {
  return firstMatch(API_ROUTES, path) ?? OTHER;
}

/** `value` when it is one of `allowed`, else `other` (the server's clamp for pages, routes, features). */
export function clampLabel(allowed: readonly string[], value: string): string {
  return allowed.includes(value) ? value : OTHER;
}
