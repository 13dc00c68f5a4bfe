/**
 * The Grafana dashboards (deploy/grafana/*.json): the eight views the operations guide needs,
 * each panel a PromQL query over metrics that exist (docs/metrics.md, the exporters' list,
 * recording rules) and that promtool can parse, laid out without overlaps; every documented
 * metric on some panel, but for a listed few.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { GRAFANA_DIR, loadRules, ROOT, run, seriesNamesIn, toolsProblem, unknownSeries } from './support.ts';

interface Panel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr?: string }[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string }[] };
  annotations: { list: { expr?: string }[] };
}

const files = readdirSync(GRAFANA_DIR).filter((f) => f.endsWith('.json'));
const dashboards = files.map((f) => ({
  file: f,
  d: JSON.parse(readFileSync(join(GRAFANA_DIR, f), 'utf8')) as Dashboard,
}));

/**
 * Every PromQL query of the dashboards, with Grafana's interval variables set as Prometheus would see them
 * (`$__range`: the dashboards' default 6 h).
 */
function queries(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const { file, d } of dashboards) {
    for (const p of d.panels) {
      for (const t of p.targets ?? []) {
        if (t.expr)
          out.push({
            where: `${file} "${p.title}"`,
            expr: t.expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '6h'),
          });
      }
    }
    for (const a of d.annotations.list) if (a.expr) out.push({ where: `${file} annotation`, expr: a.expr });
  }
  return out;
}

/**
 * Metrics of docs/metrics.md that no panel reads, each with why. A metric without a panel is one
 * an operator cannot look at during an incident: give a new one a panel rather than a line here.
 */
const NOT_CHARTED = new Map<string, string>([
  ['cb_instance_info', 'labels only (role, version): ApiDown joins it with up'],
]);

/** The metrics docs/metrics.md has a row for. */
function tabledMetrics(): string[] {
  const doc = readFileSync(join(ROOT, 'docs/metrics.md'), 'utf8');
  return [...doc.matchAll(/^\| `(cb_[a-z0-9_]+)`/gm)].map((m) => m[1]!);
}

/** The metrics the panels read, directly or through the recording rules they read (histogram series as the histogram). */
function chartedMetrics(): Set<string> {
  const recorded = new Map<string, string[]>();
  for (const r of loadRules().filter((r) => r.kind === 'record'))
    recorded.set(r.name, [...(recorded.get(r.name) ?? []), r.expr]);
  const charted = new Set<string>();
  const seen = new Set<string>();
  const pending = queries().map((q) => q.expr);
  for (let expr = pending.pop(); expr !== undefined; expr = pending.pop()) {
    for (const name of seriesNamesIn(expr)) {
      if (!name.includes(':')) charted.add(name.replace(/_(bucket|sum|count)$/, ''));
      else if (!seen.has(name)) {
        seen.add(name);
        pending.push(...(recorded.get(name) ?? []));
      }
    }
  }
  return charted;
}

describe('Grafana dashboards', () => {
  test('default: system health, API, data stores, chain, achievements, governance, incidents, security and recovery', () => {
    expect(files.sort()).toEqual([
      'achievements.json',
      'api.json',
      'chain.json',
      'data-stores.json',
      'governance.json',
      'incidents.json',
      'security-recovery.json',
      'system-health.json',
    ]);
    expect(new Set(dashboards.map(({ d }) => d.uid)).size).toBe(files.length);
  });

  test('behavior: every panel queries Prometheus through the datasource variable', () => {
    const problems: string[] = [];
    for (const { file, d } of dashboards) {
      if (
        !d.templating.list.some(
          (v) => v.name === 'datasource' && v.type === 'datasource' && v.query === 'prometheus',
        )
      )
        problems.push(`${file}: no datasource variable`);
      for (const p of d.panels.filter((p) => p.type !== 'row')) {
        if (!(p.targets ?? []).some((t) => t.expr)) problems.push(`${file} "${p.title}": no query`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('behavior: panels stay inside the 24-column grid and never overlap', () => {
    const problems: string[] = [];
    for (const { file, d } of dashboards) {
      const boxes = d.panels.map((p) => ({ title: p.title, ...p.gridPos }));
      for (const [i, a] of boxes.entries()) {
        if (a.x < 0 || a.y < 0 || a.w < 1 || a.h < 1 || a.x + a.w > 24)
          problems.push(`${file} "${a.title}": off the grid`);
        for (const b of boxes.slice(i + 1)) {
          if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
            problems.push(`${file}: "${a.title}" overlaps "${b.title}"`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('behavior: every metric and recording rule the dashboards read exists', () => {
    expect(unknownSeries(queries())).toEqual([]);
  });

  test('behavior: every metric of docs/metrics.md has a panel, but for the few listed with why', () => {
    const charted = chartedMetrics();
    const documented = tabledMetrics();
    expect(documented.length).toBeGreaterThan(100);
    const uncharted = documented.filter((m) => !charted.has(m) && !NOT_CHARTED.has(m));
    // A listed metric that got a panel (or left the docs) leaves the list.
    const stale = [...NOT_CHARTED.keys()].filter((m) => charted.has(m) || !documented.includes(m));
    expect({ uncharted, stale }).toEqual({ uncharted: [], stale: [] });
  });

  const promtoolProblem = toolsProblem(['promtool']);
  test.skipIf(promtoolProblem !== undefined)('behavior: promtool parses every query', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-dashboards-'));
    const rules = queries().map((q, i) => ({ record: `dashboard:query_${i}:check`, expr: q.expr }));
    const path = join(dir, 'dashboards.yml');
    writeFileSync(path, YAML.stringify({ groups: [{ name: 'dashboards', rules }] }));
    const r = await run('promtool', ['check', 'rules', path]);
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.output).toBe(0);
  });
});
