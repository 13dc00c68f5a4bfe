import { describe, expect, test } from 'vitest';
import { API_ROUTES, apiRouteOf, CONSOLE_PAGES, matchPattern, pageOf } from './rum-catalogue.ts';

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

  test('behavior: every pattern is reachable (no earlier pattern shadows it)', () => {
    for (const p of CONSOLE_PAGES) expect(pageOf(p.replace(/:[a-z]+/g, 'x1'))).toBe(p);
    for (const r of API_ROUTES) expect(apiRouteOf(r.replace(/:[a-z]+/g, 'x1'))).toBe(r);
  });
});
