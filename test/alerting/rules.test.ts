/**
 * The Prometheus rules (deploy/prometheus/rules) against the requirements: `promtool check rules`
 * and `promtool test rules` pass, every alert carries the labels and annotations the incident side
 * and the on-call need, has a runbook, a firing and a quiet test case, is listed in docs/alerts.md,
 * and reads only metrics that exist; every metric line of section 2 of the monitoring guide (the
 * seed) has an alert. Skipped with a reason when promtool is missing; failed in CI.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import {
  loadRules,
  ROOT,
  RULE_TESTS_DIR,
  RULES_DIR,
  ruleFiles,
  run,
  SEED,
  toolsProblem,
  unknownSeries,
} from './support.ts';

const SEVERITIES = ['P0', 'P1', 'P2', 'P3'];
const DEPENDENCIES = [
  'database',
  'cache',
  'queue',
  'chain',
  'api',
  'jobs',
  'achievements',
  'governance',
  'frontend',
  'host',
];
const CORRELATIONS = ['serving', 'pipeline', 'chain', 'governance', 'frontend', 'recovery', 'security'];

const rules = loadRules();
const alerts = rules.filter((r) => r.kind === 'alert');
/**
 * Alerts cb raises itself, not Prometheus: they have a runbook and a row in docs/alerts.md, and no
 * rule (src/ops/incidents/alerting-heartbeat.ts).
 */
const RAISED_BY_CB = ['AlertingPipelineSilent'];

describe('alert rules', () => {
  test('default: there is one rules file per area and a test file for each', () => {
    expect(ruleFiles()).toEqual(
      [
        'achievements',
        'api',
        'backup',
        'cache',
        'chain',
        'database',
        'frontend',
        'governance',
        'host',
        'jobs',
        'logs',
        'queue',
        'security',
      ].map((a) => `${a}.yml`),
    );
    for (const file of ruleFiles()) {
      expect(existsSync(join(RULE_TESTS_DIR, file.replace('.yml', '.test.yml'))), file).toBe(true);
    }
  });

  test('behavior: the outages of seed 3.1 are P0 alerts', () => {
    const p0 = alerts.filter((a) => a.labels.severity === 'P0').map((a) => a.name);
    expect(p0).toEqual(
      expect.arrayContaining(['ApiDown', 'DatabaseDown', 'ChainListenerStopped', 'ChainRpcUnavailable']),
    );
    expect(alerts.find((a) => a.name === 'ApiDown')?.expr).toContain('up{job="cb"}');
    expect(alerts.find((a) => a.name === 'DatabaseDown')?.expr).toMatch(/cb_dependency_up[\s\S]*pg_up/);
  });

  test('behavior: every alert has severity, dependency, correlation, summary, description with the value, runbook_url', () => {
    const problems: string[] = [];
    const names = new Set<string>();
    for (const a of alerts) {
      if (names.has(a.name)) problems.push(`${a.name}: defined twice`);
      names.add(a.name);
      if (!SEVERITIES.includes(a.labels.severity ?? ''))
        problems.push(`${a.name}: severity ${a.labels.severity}`);
      if (!DEPENDENCIES.includes(a.labels.dependency ?? ''))
        problems.push(`${a.name}: dependency ${a.labels.dependency}`);
      if (!CORRELATIONS.includes(a.labels.correlation ?? ''))
        problems.push(`${a.name}: correlation ${a.labels.correlation}`);
      if (!a.annotations.summary) problems.push(`${a.name}: no summary`);
      if (!a.annotations.description?.includes('$value'))
        problems.push(`${a.name}: description without $value`);
      if (a.annotations.runbook_url !== `docs/runbooks/${a.name}.md`)
        problems.push(`${a.name}: runbook_url ${a.annotations.runbook_url}`);
    }
    expect(problems).toEqual([]);
  });

  test('behavior: every alert has a runbook saying what it means, what to check and what to do', () => {
    const problems: string[] = [];
    for (const a of alerts) {
      const path = join(ROOT, a.annotations.runbook_url ?? '');
      if (!existsSync(path)) {
        problems.push(`${a.name}: ${a.annotations.runbook_url} is missing`);
        continue;
      }
      const text = readFileSync(path, 'utf8');
      if (!text.startsWith(`# ${a.name}\n`)) problems.push(`${a.name}: runbook title`);
      for (const section of ['## What it means', '## What to check', '## What to do']) {
        if (!text.includes(section)) problems.push(`${a.name}: runbook lacks "${section}"`);
      }
      if (!text.includes(`**${a.labels.severity}**`))
        problems.push(`${a.name}: runbook does not state its severity`);
    }
    const runbooks = readdirSync(join(ROOT, 'docs/runbooks'))
      .filter((f) => f !== 'README.md')
      .map((f) => f.replace(/\.md$/, ''));
    const orphans = runbooks.filter((r) => !alerts.some((a) => a.name === r) && !RAISED_BY_CB.includes(r));
    expect({ problems, orphans }).toEqual({ problems: [], orphans: [] });
  });

  test('behavior: every series the rules read exists (docs/metrics.md, exporter-metrics.yml, frontend allow-list, recording rules)', () => {
    expect(unknownSeries(rules.map((r) => ({ where: `${r.file} ${r.name}`, expr: r.expr })))).toEqual([]);
  });

  test('behavior: every alert has a firing and a quiet promtool case', () => {
    const cases = new Map<string, { fires: number; quiet: number }>();
    for (const file of readdirSync(RULE_TESTS_DIR).filter((f) => f.endsWith('.test.yml'))) {
      const doc = YAML.parse(readFileSync(join(RULE_TESTS_DIR, file), 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      };
      for (const t of doc.tests) {
        for (const c of t.alert_rule_test ?? []) {
          const entry = cases.get(c.alertname) ?? { fires: 0, quiet: 0 };
          if ((c.exp_alerts ?? []).length > 0) entry.fires++;
          else entry.quiet++;
          cases.set(c.alertname, entry);
        }
      }
    }
    const missing = alerts
      .map((a) => ({ name: a.name, ...(cases.get(a.name) ?? { fires: 0, quiet: 0 }) }))
      .filter((c) => c.fires === 0 || c.quiet === 0);
    expect(missing).toEqual([]);
  });
});

describe('docs/alerts.md against the seed and the rules', () => {
  const tableRows = () =>
    readFileSync(join(ROOT, 'docs/alerts.md'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('|') && !l.startsWith('|---'))
      .map((l) =>
        l
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
  const linked = (cell: string) => [
    ...cell.matchAll(/\[`([A-Za-z0-9]+)`\]\(runbooks\/([A-Za-z0-9]+)\.md\)/g),
  ];

  test('behavior: docs/alerts.md lists every alert with its severity and dependency, linked to its runbook', () => {
    const rows = tableRows();
    const problems: string[] = [];
    for (const a of alerts) {
      const row = rows.find((r) => r.some((c) => linked(c).some((m) => m[1] === a.name)));
      if (!row) {
        problems.push(`${a.name}: not in docs/alerts.md`);
        continue;
      }
      if (!row.includes(a.labels.severity ?? ''))
        problems.push(`${a.name}: severity differs in docs/alerts.md`);
      if (!row.includes(a.labels.dependency ?? ''))
        problems.push(`${a.name}: dependency differs in docs/alerts.md`);
    }
    for (const row of rows) {
      for (const m of row.flatMap(linked)) {
        if (m[1] !== m[2]) problems.push(`${m[1]} links to runbooks/${m[2]}.md`);
        if (!alerts.some((a) => a.name === m[1]) && !RAISED_BY_CB.includes(m[1]!))
          problems.push(`${m[1]}: listed but not a rule`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('behavior: every metric line of seed section 2 maps to an alert', () => {
    const seed = readFileSync(SEED, 'utf8');
    const section2 = seed.slice(seed.indexOf('\n## 2.'), seed.indexOf('\n## 3.'));
    const lines: string[] = [];
    let sub = '';
    let group = '';
    for (const l of section2.split('\n')) {
      const s = /^### (2\.\d)/.exec(l);
      if (s) sub = s[1]!;
      const g = /^- \*\*(.+?)\*\*/.exec(l);
      if (g) group = g[1]!;
      const item = /^ {2}- (.+)$/.exec(l);
      if (item) lines.push(`${sub} ${group} | ${item[1]!.trim()}`);
    }
    expect(lines).toHaveLength(75); // the metric lines of seed section 2
    const rows = tableRows();
    const mapped = new Set(
      rows
        .filter((r) => /^2\.\d /.test(r[0] ?? '') && linked(r[2] ?? '').length > 0)
        .map((r) => `${r[0]} | ${r[1]}`),
    );
    expect(lines.filter((l) => !mapped.has(l))).toEqual([]);
  });
});

const promtoolProblem = toolsProblem(['promtool']);

describe.skipIf(promtoolProblem !== undefined)('promtool', () => {
  test('behavior: promtool check rules accepts every rules file', async () => {
    const files = ruleFiles().map((f) => join(RULES_DIR, f));
    const r = await run('promtool', ['check', 'rules', ...files]);
    expect(r.output).not.toMatch(/FAILED/);
    expect(r.status, r.output).toBe(0);
  });

  test('behavior: promtool test rules passes every test file', { timeout: 300_000 }, async () => {
    const files = readdirSync(RULE_TESTS_DIR)
      .filter((f) => f.endsWith('.test.yml'))
      .sort();
    // Longest first, two at a time: the baseline files replay a week or two of evaluations.
    const ordered = [...files].sort(
      (a, b) => Number(b.includes('baseline')) - Number(a.includes('baseline')),
    );
    const failures: string[] = [];
    const queue = [...ordered];
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        const r = await run('promtool', ['test', 'rules', f], { cwd: RULE_TESTS_DIR });
        if (r.status !== 0 || !r.output.includes('SUCCESS')) failures.push(`${f}:\n${r.output}`);
      }
    };
    await Promise.all([worker(), worker()]);
    expect(failures.join('\n')).toBe('');
  });
});
