/**
 * The Grafana dashboards (deploy/grafana/*.json): the eight views the operations guide needs,
 * each panel a PromQL query over metrics that exist (docs/metrics.md, the exporters' list,
 * recording rules) and that promtool can parse.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { GRAFANA_DIR, run, toolsProblem, unknownSeries } from './support.ts';

interface Panel {
  type: string;
  title: string;
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

  test('behavior: every metric and recording rule the dashboards read exists', () => {
    expect(unknownSeries(queries())).toEqual([]);
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
