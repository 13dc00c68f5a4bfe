import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import {
  API_ROUTES,
  apiRouteOf,
  CONSOLE_PAGES,
  matchPattern,
  PAGE_TYPES,
  pageOf,
  pageTypeOf,
} from './rum-catalogue.ts';

const BOUNCE_LEVEL = 'page_type:cb_frontend_bounce:warning_level';

/** The bounce-rate warning levels of deploy/prometheus/rules/frontend.yml, by page type. */
function bounceLevels(): Map<string, number> {
  const doc = YAML.parse(
    readFileSync(new URL('../../deploy/prometheus/rules/frontend.yml', import.meta.url), 'utf8'),
  ) as { groups: { rules: { record?: string; expr: string; labels?: Record<string, string> }[] }[] };
  const levels = new Map<string, number>();
  for (const rule of doc.groups.flatMap((g) => g.rules)) {
    if (rule.record !== BOUNCE_LEVEL) continue;
    const m = /^\s*vector\((\d+(?:\.\d+)?)\)\s*$/.exec(rule.expr);
    const type = rule.labels?.page_type ?? '(no page_type)';
    if (!m || levels.has(type)) throw new Error(`${BOUNCE_LEVEL}{page_type="${type}"}: ${rule.expr}`);
    levels.set(type, Number(m[1]));
  }
  return levels;
}

describe('rum catalogue', () => {
  test('default: concrete paths map to their patterns, with query, hash and trailing slash ignored', () => {
    expect(pageOf('/')).toBe('/');
    expect(pageOf('/proposals/12?tab=votes')).toBe('/proposals/:id');
    expect(pageOf('/ops/catalogue/new')).toBe('/ops/catalogue/new');
    expect(pageOf('/ops/catalogue/trader-bronze/')).toBe('/ops/catalogue/:id');
    expect(apiRouteOf('/v1/users/0xabc/achievements?status=all')).toBe('/v1/users/:address/achievements');
    expect(apiRouteOf('/v1/users/0xabc/achievements/a.b/explain')).toBe(
      '/v1/users/:address/achievements/:id/explain',
    );
    expect(apiRouteOf('/v1/ops/queues/q.1/dead-letters/123/retry')).toBe(
      '/v1/ops/queues/:queue/dead-letters/:id/retry',
    );
  });

  test('behavior: anything else is other', () => {
    expect(pageOf('/wp-admin')).toBe('other');
    expect(pageOf('/proposals/1/2')).toBe('other');
    expect(apiRouteOf('/v1/users//achievements')).toBe('other');
    expect(apiRouteOf('/v2/x')).toBe('other');
  });

  test('args: matchPattern decodes parameters and refuses broken escapes', () => {
    expect(matchPattern('/a/:id', '/a/x%20y')).toEqual({ id: 'x y' });
    expect(matchPattern('/a/:id', '/a/%E0%A4%A')).toBeUndefined();
  });

  test('default: a page pattern maps to its page type; unknown patterns and other are other', () => {
    expect(pageTypeOf('/')).toBe('home');
    expect(pageTypeOf(pageOf('/proposals/12'))).toBe('proposal');
    expect(pageTypeOf('/proposals')).toBe('proposals');
    expect(pageTypeOf('/ops/incidents/:id')).toBe('ops');
    expect(pageTypeOf('other')).toBe('other');
    expect(pageTypeOf('/wp-admin')).toBe('other');
    expect(pageTypeOf('toString')).toBe('other');
    expect(new Set(CONSOLE_PAGES.map(pageTypeOf))).toEqual(new Set(PAGE_TYPES.filter((t) => t !== 'other')));
  });

  test('behavior: every page type has exactly one bounce-rate warning level in the rules, and only they do', () => {
    const levels = bounceLevels();
    expect([...levels.keys()].sort()).toEqual([...PAGE_TYPES].sort());
    for (const [type, level] of levels) expect(level, type).toBeGreaterThan(0);
    for (const [type, level] of levels) expect(level, type).toBeLessThanOrEqual(1);
  });

  test('behavior: every pattern is reachable (no earlier pattern shadows it)', () => {
    for (const p of CONSOLE_PAGES) expect(pageOf(p.replace(/:[a-z]+/g, 'x1'))).toBe(p);
    for (const r of API_ROUTES) expect(apiRouteOf(r.replace(/:[a-z]+/g, 'x1'))).toBe(r);
  });
});
