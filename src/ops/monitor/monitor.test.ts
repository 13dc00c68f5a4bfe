import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { listen } from '../../api/index.ts';
import { parseSmtpUrl } from '../incidents/settings.ts';
import { createHarness, WEBHOOK_TOKEN } from '../incidents/test-harness.ts';
import { waitFor } from '../notify/test-sinks.ts';
import { findBinary } from './binaries.ts';
import { MonitorBinaryMissingError } from './errors.ts';
import { placeholdersIn, renderTemplate } from './render-template.ts';
import { DEPLOY_DIR, directP0EmailConfigs, startMonitor } from './start-monitor.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const REQUIRED = ['prometheus', 'prometheus-alertmanager'];
const temp: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temp.push(d);
  return d;
};
afterAll(() => {
  for (const d of temp) rmSync(d, { recursive: true, force: true });
});

/**
 * The binaries are needed: missing, the test is skipped with the reason — or fails under CI=true
 * (a suite must not pass by skipping there).
 */
function binariesOrSkip(ctx: { skip: (note: string) => void }): void {
  const missing = REQUIRED.filter((b) => !findBinary(b, process.env.PATH));
  if (missing.length === 0) return;
  const problem = `${missing.join(', ')} not installed (apt-get install -y prometheus prometheus-alertmanager)`;
  if (process.env.CI === 'true') throw new Error(`required in CI: ${problem}`);
  ctx.skip(problem);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function ready(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return r.ok;
  } catch {
    return false;
  }
}

/** `cb monitor …` as a process of its own, the way `bin/cb.js` runs commands. */
function cbMonitor(args: string[], env: Record<string, string | undefined>) {
  const script = `
    import { Command } from 'commander';
    import { registerMonitor } from ${JSON.stringify(join(ROOT, 'src/ops/monitor/register-monitor.ts'))};
    import { exitWithError } from ${JSON.stringify(join(ROOT, 'src/cli/output.ts'))};
    const program = new Command('cb').exitOverride();
    registerMonitor(program);
    try { await program.parseAsync(process.argv.slice(1), { from: 'user' }); } catch (err) { exitWithError(err); }
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, CB_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => {
    out.stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out.stderr += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out, exit };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('cb monitor up', () => {
  let running: ChildProcess | undefined;
  afterAll(() => {
    running?.kill('SIGKILL');
  });

  test('default: starts Prometheus and Alertmanager with the rendered configs; both answer /-/ready; Ctrl-C stops them', async (ctx) => {
    binariesOrSkip(ctx);
    const dataDir = tempDir('cb-monitor-');
    const tokenFile = join(dataDir, 'token');
    writeFileSync(tokenFile, 'tok-from-file\n');
    const [prom, am] = [await freePort(), await freePort()];
    const cmd = cbMonitor(
      [
        'monitor',
        'up',
        '--target',
        'http://127.0.0.1:3999',
        '--prometheus-port',
        String(prom),
        '--alertmanager-port',
        String(am),
        '--no-exporters',
        '--webhook-token-file',
        tokenFile,
        '--json',
      ],
      {
        CB_DATA_DIR: dataDir,
        CB_PORT: '3999',
        // The P0 webhook is the one Alertmanager posts DatabaseDown/ApiDown to directly.
        CB_SLACK_WEBHOOK_URLS:
          'team=https://hooks.slack.example/T/B/team,p0=https://hooks.slack.example/T/B/pager',
        // And e-mail them to the on-call addresses through cb's SMTP server.
        CB_SMTP_URL: 'smtp://alerts:smtp-pass-93f1@smtp.example.com:587',
        CB_SMTP_FROM: 'cb@example.com',
        CB_ONCALL_EMAIL: 'oncall@example.com, lead@example.com',
        // An external dead man's switch for the heartbeat.
        CB_EXTERNAL_HEARTBEAT_URL: 'https://hc-ping.example/5f0e7a43-beat',
      },
    );
    running = cmd.child;
    const summary = await waitFor(
      'the JSON summary',
      () => {
        try {
          return JSON.parse(cmd.out.stdout) as {
            dir: string;
            prometheus: string;
            alertmanager: string;
            processes: { component: string; pid: number }[];
            skipped: { component: string; reason: string }[];
          };
        } catch {
          if (cmd.child.exitCode !== null) throw new Error(`cb monitor up exited: ${cmd.out.stderr}`);
          return undefined;
        }
      },
      45_000,
    );
    expect(summary.dir).toBe(join(dataDir, 'monitor'));
    expect(summary.prometheus).toBe(`http://127.0.0.1:${prom}`);
    expect(summary.processes.map((p) => p.component).sort()).toEqual(['alertmanager', 'prometheus']);
    expect(summary.skipped.map((s) => s.reason)).not.toContain(undefined);
    expect(await ready(`http://127.0.0.1:${prom}/-/ready`)).toBe(true);
    expect(await ready(`http://127.0.0.1:${am}/-/ready`)).toBe(true);

    // The configs were rendered against this instance, with the shipped rules and the token file.
    const promYml = readFileSync(join(summary.dir, 'prometheus.yml'), 'utf8');
    expect(placeholdersIn(promYml)).toEqual([]);
    expect(promYml).toContain('["127.0.0.1:3999"]');
    expect(promYml).toContain(`${join(DEPLOY_DIR, 'prometheus')}/rules/*.yml`);
    const amYml = readFileSync(join(summary.dir, 'alertmanager.yml'), 'utf8');
    expect(placeholdersIn(amYml)).toEqual([]);
    expect(amYml).toContain('url: "http://127.0.0.1:3999/v1/alerts/webhook"');
    const token = join(summary.dir, 'alert-webhook-token');
    expect(amYml).toContain(`credentials_file: "${token}"`);
    expect(readFileSync(token, 'utf8')).toBe('tok-from-file\n');
    expect(statSync(token).mode & 0o777).toBe(0o600);
    // The direct P0 receiver reads the Slack URL from a 0600 file; the URL is not in the config.
    const slackFile = join(summary.dir, 'slack-p0-webhook');
    expect(amYml).toContain(`"api_url_file":"${slackFile}"`);
    expect(amYml).not.toContain('hooks.slack.example');
    expect(readFileSync(slackFile, 'utf8')).toBe('https://hooks.slack.example/T/B/pager\n');
    expect(statSync(slackFile).mode & 0o777).toBe(0o600);
    const passwordFile = join(summary.dir, 'smtp-p0-password');
    expect(amYml).toContain(
      `email_configs: [{"to":"oncall@example.com, lead@example.com","from":"cb@example.com","smarthost":"smtp.example.com:587","auth_username":"alerts","auth_password_file":"${passwordFile}","require_tls":true`,
    );
    expect(amYml).not.toContain('smtp-pass-93f1');
    expect(readFileSync(passwordFile, 'utf8')).toBe('smtp-pass-93f1');
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    // The heartbeat's ping URL is in the config (Alertmanager 0.25 has no url_file for webhooks),
    // which is then the owner's alone; cb's token is not sent there.
    expect(amYml).toContain(
      'webhook_configs: [{"url":"https://hc-ping.example/5f0e7a43-beat","send_resolved":false,"max_alerts":1}]',
    );
    expect(statSync(join(summary.dir, 'alertmanager.yml')).mode & 0o777).toBe(0o600);
    // Prometheus loaded the shipped rules and scrapes the target.
    const rules = (await (await fetch(`http://127.0.0.1:${prom}/api/v1/rules`)).json()) as {
      data: { groups: { rules: unknown[] }[] };
    };
    expect(rules.data.groups.flatMap((g) => g.rules).length).toBeGreaterThan(50);
    const targets = await waitFor('the scrape targets', async () => {
      const body = (await (await fetch(`http://127.0.0.1:${prom}/api/v1/targets`)).json()) as {
        data: { activeTargets: { labels: { job: string; instance: string } }[] };
      };
      const list = body.data.activeTargets.map((t) => `${t.labels.job} ${t.labels.instance}`);
      return list.length >= 2 ? list : undefined;
    });
    expect(targets).toEqual(expect.arrayContaining(['cb 127.0.0.1:3999', `alertmanager 127.0.0.1:${am}`]));

    cmd.child.kill('SIGINT');
    expect(await cmd.exit).toBe(0);
    expect(cmd.out.stderr).toContain('cb monitor: stopping (SIGINT)');
    for (const p of summary.processes) expect(alive(p.pid)).toBe(false);
    expect(await ready(`http://127.0.0.1:${prom}/-/ready`)).toBe(false);
    expect(await ready(`http://127.0.0.1:${am}/-/ready`)).toBe(false);
    running = undefined;
  }, 90_000);

  test('error: a missing binary names the Debian package to install', async () => {
    const empty = tempDir('cb-monitor-path-');
    await expect(
      startMonitor({
        target: 'http://127.0.0.1:3000',
        dir: tempDir('cb-m-'),
        webhookToken: 't',
        path: empty,
      }),
    ).rejects.toThrow(MonitorBinaryMissingError);
    const cmd = cbMonitor(['monitor', 'up', '--dir', tempDir('cb-m-')], { PATH: empty });
    expect(await cmd.exit).toBe(1);
    expect(cmd.out.stderr).toContain(
      'cb: prometheus, prometheus-alertmanager not found on PATH; install with: apt-get install prometheus prometheus-alertmanager [OPS_MONITOR_BINARY_MISSING]',
    );
  }, 60_000);

  test('error: a process that exits while something it started still writes to its log does not take cb monitor down', async () => {
    // Fake binaries: each exits at once, leaving a background child that writes to the same output
    // later — after 'exit', before 'close'. The log stream was ended at 'exit': a write after end.
    const bin = tempDir('cb-monitor-fake-');
    for (const name of ['prometheus', 'prometheus-alertmanager']) {
      writeFileSync(join(bin, name), '#!/bin/sh\necho starting\n(sleep 0.3; echo late output) &\nexit 3\n', {
        mode: 0o755,
      });
    }
    const dir = tempDir('cb-m-');
    await expect(
      startMonitor({
        target: 'http://127.0.0.1:3000',
        dir,
        webhookToken: 't',
        path: `${bin}:/usr/bin:/bin`,
        exporters: false,
        readyTimeoutMs: 5000,
      }),
    ).rejects.toMatchObject({ code: 'OPS_MONITOR_START_FAILED' });
    // The late line lands in the log (an uncaught write-after-end would fail this file instead).
    await waitFor(
      'the late line in the log',
      () => readFileSync(join(dir, 'logs', 'prometheus.log'), 'utf8').includes('late output'),
      5000,
    );
  });

  test('behavior: the Redis exporter exports the host memory, the limit RedisMemoryHigh uses when maxmemory is 0', async (ctx) => {
    binariesOrSkip(ctx);
    if (!findBinary('prometheus-redis-exporter', process.env.PATH)) {
      if (process.env.CI === 'true')
        throw new Error('required in CI: apt-get install -y prometheus-redis-exporter');
      return ctx.skip('prometheus-redis-exporter not installed');
    }
    const ports = {
      prometheus: await freePort(),
      alertmanager: await freePort(),
      node: await freePort(),
      postgres: await freePort(),
      redis: await freePort(),
    };
    const monitor = await startMonitor({
      target: 'http://127.0.0.1:3999',
      dir: tempDir('cb-monitor-redis-'),
      webhookToken: 't',
      fast: true,
      ports,
      redisUrl: process.env.CB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15',
      path: process.env.PATH,
    });
    try {
      expect(monitor.processes.map((p) => p.component)).toContain('redis');
      const text = await (await fetch(`http://127.0.0.1:${ports.redis}/metrics`)).text();
      expect(text).toMatch(/^redis_total_system_memory_bytes [1-9]/m);
      expect(text).toMatch(/^redis_memory_max_bytes /m);
    } finally {
      await monitor.stop();
    }
  }, 60_000);

  test('error: a template placeholder without a value is reported before anything starts', async (ctx) => {
    binariesOrSkip(ctx);
    const deploy = tempDir('cb-deploy-');
    mkdirSync(join(deploy, 'prometheus'));
    mkdirSync(join(deploy, 'alertmanager'));
    writeFileSync(join(deploy, 'prometheus', 'prometheus.yml'), `scrape_configs: \${CB_SOMETHING_NEW}\n`);
    writeFileSync(join(deploy, 'alertmanager', 'alertmanager.yml'), 'route: { receiver: x }\n');
    await expect(
      startMonitor({
        target: 'http://127.0.0.1:3000',
        dir: tempDir('cb-m-'),
        webhookToken: 't',
        deployDir: deploy,
        path: process.env.PATH,
      }),
    ).rejects.toMatchObject({
      code: 'OPS_MONITOR_CONFIG_INVALID',
      message: expect.stringContaining(`placeholders without a value: \${CB_SOMETHING_NEW}`),
    });
  });

  test('args: the direct P0 e-mail asks for STARTTLS when credentials go over it, and needs port 465 for smtps', () => {
    const configOf = (url: string) => {
      const r = directP0EmailConfigs(
        { smtp: parseSmtpUrl(url), from: 'cb@x.example', to: ['a@x.example'] },
        '/pw',
      );
      return 'configs' in r ? JSON.parse(r.configs)[0] : r;
    };
    expect(configOf('smtp://u:p@mail.example')).toMatchObject({
      smarthost: 'mail.example:587',
      auth_username: 'u',
      auth_password_file: '/pw',
      require_tls: true,
    });
    // No credentials to protect: a relay without STARTTLS still works.
    expect(configOf('smtp://relay.internal:25')).toMatchObject({
      smarthost: 'relay.internal:25',
      require_tls: false,
    });
    expect(configOf('smtp://relay.internal:25')).not.toHaveProperty('auth_username');
    expect(configOf('smtp://relay.internal:25?starttls=required')).toMatchObject({ require_tls: true });
    expect(configOf('smtp://u:p@127.0.0.1:2525?starttls=never')).toMatchObject({ require_tls: false });
    // Implicit TLS: Alertmanager does it on 465 only, and must not ask for STARTTLS on top.
    expect(configOf('smtps://u:p@mail.example')).toMatchObject({
      smarthost: 'mail.example:465',
      require_tls: false,
    });
    expect(configOf('smtps://u:p@mail.example:2465')).toEqual({
      skipped: expect.stringContaining('Alertmanager speaks implicit TLS on 465 only'),
    });
    expect(configOf('smtp://[2001:db8::1]:587')).toMatchObject({ smarthost: '[2001:db8::1]:587' });
  });

  test('args: placeholders take values, then their fallback', () => {
    expect(
      renderTemplate(`a \${X} b \${Y:-fallback} c \${Z} \${Z}\n  # documents \${NAME}`, { X: '1' }),
    ).toEqual({
      text: `a 1 b fallback c \${Z} \${Z}\n  # documents \${NAME}`,
      missing: ['Z'],
    });
  });
});

// Prometheus → Alertmanager → the webhook → an incident, with the shipped rules and routes.
describe.skipIf(process.env.CB_TEST_DRIVER === 'pg')('alerts end to end', () => {
  test('behavior: a firing rule becomes an incident; clearing it resolves the alert', async (ctx) => {
    binariesOrSkip(ctx);
    const h = await createHarness({ startJobs: false });
    const url = await listen(h.app, { host: '127.0.0.1', port: 0 });
    const monitor = await startMonitor({
      target: url,
      dir: tempDir('cb-monitor-e2e-'),
      webhookToken: WEBHOOK_TOKEN,
      fast: true,
      exporters: false,
      ports: { prometheus: await freePort(), alertmanager: await freePort() },
      path: process.env.PATH,
    });
    try {
      // max(cb_progress_inconsistencies) > 0 fires ProgressInconsistent (P1) at once.
      h.common.metrics.progressInconsistencies.set(3);
      const found = await waitFor(
        'an incident for ProgressInconsistent',
        async () => {
          for (const i of (await h.incidents.list({ limit: 50 })).items) {
            const d = await h.incidents.get(i.id);
            const alert = d.alerts.find((a) => a.alertname === 'ProgressInconsistent');
            if (alert) return { incident: d, alert };
          }
          return undefined;
        },
        40_000,
      );
      expect(found.alert).toMatchObject({ severity: 'P1', status: 'firing' });
      expect(found.alert.labels).toMatchObject({ dependency: 'achievements', correlation: 'pipeline' });
      expect(found.alert.annotations.runbook_url).toBe('docs/runbooks/ProgressInconsistent.md');
      expect(found.incident.groupLabels).toEqual({ correlation: 'pipeline' });
      expect(found.incident.timeline.some((t) => t.kind === 'triggered' || t.kind === 'alert_firing')).toBe(
        true,
      );

      h.common.metrics.progressInconsistencies.set(0);
      await waitFor(
        'Alertmanager to send the resolution',
        async () => {
          const d = await h.incidents.get(found.incident.id);
          return (
            d.alerts.find((a) => a.alertname === 'ProgressInconsistent')?.status === 'resolved' || undefined
          );
        },
        40_000,
      );
    } finally {
      await monitor.stop();
      await h.close();
    }
  }, 120_000);
});
