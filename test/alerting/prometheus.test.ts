/**
 * deploy/prometheus/prometheus*.yml as `cb monitor up` uses them: rendered with the documented
 * placeholders, both variants pass `promtool check config` (which loads every rules file), the
 * fast variant differs only in timings, and end to end — Prometheus on the fast variant scraping a
 * cb-like target, evaluating the shipped rules and sending to Alertmanager on its test config —
 * a firing rule reaches the incident webhook with its labels and annotations. Skipped with a reason
 * when the binaries are missing; failed in CI.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import YAML from 'yaml';
import {
  ALERTMANAGER_DIR,
  type Daemon,
  freePort,
  localTemplateValues,
  PROMETHEUS_DIR,
  placeholdersOf,
  renderTemplate,
  ruleFiles,
  run,
  startAlertmanager,
  startDaemon,
  startWebhookReceiver,
  toolsProblem,
  type WebhookReceiver,
  waitFor,
} from './support.ts';

const problem = toolsProblem(['promtool', 'prometheus', 'prometheus-alertmanager']);

const PLACEHOLDERS = [
  'CB_ALERTMANAGER_TARGETS',
  'CB_NODE_EXPORTER_TARGETS',
  'CB_POSTGRES_EXPORTER_TARGETS',
  'CB_PROMETHEUS_DIR',
  'CB_REDIS_EXPORTER_TARGETS',
  'CB_TARGETS',
];
const template = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

describe.skipIf(problem !== undefined)('Prometheus configuration', () => {
  test('default: both variants use exactly the documented placeholders and job names', () => {
    for (const name of ['prometheus.yml', 'prometheus.test.yml']) {
      const text = template(PROMETHEUS_DIR, name);
      expect(placeholdersOf(text), name).toEqual(PLACEHOLDERS);
      const jobs = (
        YAML.parse(renderTemplate(text, localTemplateValues())) as { scrape_configs: { job_name: string }[] }
      ).scrape_configs.map((c) => c.job_name);
      expect(jobs).toEqual(['cb', 'node', 'postgres', 'redis', 'alertmanager']);
    }
  });

  test('behavior: the fast variant differs only in its timings (scrape and evaluation every second)', () => {
    const prod = YAML.parse(template(PROMETHEUS_DIR, 'prometheus.yml'));
    const fast = YAML.parse(template(PROMETHEUS_DIR, 'prometheus.test.yml'));
    expect(prod.global).toEqual({
      scrape_interval: '15s',
      scrape_timeout: '10s',
      evaluation_interval: '15s',
    });
    expect(fast.global).toEqual({ scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '1s' });
    expect({ ...fast, global: null }).toEqual({ ...prod, global: null });
  });

  test('behavior: promtool check config accepts both rendered variants, rules included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-prom-config-'));
    for (const name of ['prometheus.yml', 'prometheus.test.yml']) {
      const path = join(dir, name);
      // An install without exporters renders empty target lists: still valid.
      for (const values of [
        localTemplateValues(),
        localTemplateValues({
          CB_NODE_EXPORTER_TARGETS: '[]',
          CB_POSTGRES_EXPORTER_TARGETS: '[]',
          CB_TARGETS: '["10.0.0.1:3000","10.0.0.2:3000"]',
        }),
      ]) {
        writeFileSync(path, renderTemplate(template(PROMETHEUS_DIR, name), values));
        const r = await run('promtool', ['check', 'config', path]);
        expect(r.status, r.output).toBe(0);
        expect(r.output).toContain(`SUCCESS: ${ruleFiles().length} rule files found`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
});

describe.skipIf(problem !== undefined)(
  'Prometheus → Alertmanager → webhook on the test configurations',
  () => {
    let receiver: WebhookReceiver;
    let am: Daemon;
    let prometheus: Daemon;
    let target: Server;

    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cb-pipeline-'));
      // A cb-like target: the consistency check found 3 inconsistent progress rows.
      target = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end('# TYPE cb_progress_inconsistencies gauge\ncb_progress_inconsistencies 3\n');
      });
      await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
      const address = target.address();
      if (!address || typeof address !== 'object') throw new Error('no target port');

      receiver = await startWebhookReceiver();
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, 'pipeline-token\n');
      const amConfig = join(dir, 'alertmanager.yml');
      writeFileSync(
        amConfig,
        renderTemplate(
          template(ALERTMANAGER_DIR, 'alertmanager.test.yml'),
          localTemplateValues({ CB_ALERT_WEBHOOK_URL: receiver.url, CB_ALERT_WEBHOOK_TOKEN_FILE: tokenFile }),
        ),
      );
      am = await startAlertmanager(amConfig, join(dir, 'am-data'));

      const promConfig = join(dir, 'prometheus.yml');
      writeFileSync(
        promConfig,
        renderTemplate(
          template(PROMETHEUS_DIR, 'prometheus.test.yml'),
          localTemplateValues({
            CB_TARGETS: JSON.stringify([`127.0.0.1:${address.port}`]),
            CB_NODE_EXPORTER_TARGETS: '[]',
            CB_POSTGRES_EXPORTER_TARGETS: '[]',
            CB_REDIS_EXPORTER_TARGETS: '[]',
            CB_ALERTMANAGER_TARGETS: JSON.stringify([am.url.replace('http://', '')]),
          }),
        ),
      );
      const port = await freePort();
      prometheus = await startDaemon(
        'prometheus',
        [
          `--config.file=${promConfig}`,
          `--storage.tsdb.path=${join(dir, 'tsdb')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        port,
        '/-/ready',
      );
    }, 60_000);

    afterAll(async () => {
      await prometheus?.stop();
      await am?.stop();
      await receiver?.close();
      await new Promise<void>((resolve) => (target ? target.close(() => resolve()) : resolve()));
    });

    test('behavior: a rule with no `for` reaches the webhook within seconds, with its labels and annotations', {
      timeout: 40_000,
    }, async () => {
      const delivery = await waitFor('ProgressInconsistent at the webhook', 30_000, async () =>
        receiver.deliveries.find((d) =>
          d.body.alerts.some((a) => a.labels.alertname === 'ProgressInconsistent'),
        ),
      );
      const alert = delivery.body.alerts.find((a) => a.labels.alertname === 'ProgressInconsistent')!;
      expect(delivery.authorization).toBe('Bearer pipeline-token');
      expect(delivery.body).toMatchObject({ status: 'firing', receiver: 'cb-incidents' });
      expect(delivery.body.groupLabels).toEqual({ correlation: 'pipeline' });
      expect(alert.labels).toMatchObject({
        severity: 'P1',
        dependency: 'achievements',
        correlation: 'pipeline',
      });
      expect(alert.annotations).toEqual({
        summary: 'Progress disagrees with the event log',
        description:
          'The last consistency check found 3 progress rows that disagree with the event log (warning level: any).',
        runbook_url: 'docs/runbooks/ProgressInconsistent.md',
      });
      // The target is up: the API-down P0 must not be on its way.
      const res = await fetch(
        `${prometheus.url}/api/v1/query?query=${encodeURIComponent('ALERTS{alertname="ApiDown"}')}`,
      );
      const body = (await res.json()) as { data: { result: unknown[] } };
      expect(body.data.result).toEqual([]);
    });
  },
);
