/**
 * The systemd units (deploy/systemd) against what they promise (docs/operations.md, "Deploying"):
 * `cb@<role>[-<n>]` runs `cb start --role <role>`, restarts always, stops with SIGTERM and waits
 * longer than cb's drain, runs hardened as its own user with only its state and log directories
 * writable, reads the shared and its own env file, names only real settings, and starts a timer
 * whose script restarts it after failed /healthz probes (seed 5.1). The script itself runs here
 * against a real HTTP server, with `systemctl` replaced by a spy. `systemd-analyze verify` runs
 * when installed (it is not in .ci/run's packages: skipped with a reason when missing).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROLES } from '../../src/main.ts';
import {
  configFrom,
  envFileNames,
  environmentOf,
  hasTool,
  readUnit,
  run,
  SETTING_NAMES,
  SYSTEMD_DIR,
  spanSeconds,
  value,
  values,
} from './support.ts';

const cb = readUnit('cb@.service');
const check = readUnit('cb-healthcheck@.service');
const timer = readUnit('cb-healthcheck@.timer');
const target = readUnit('cb.target');
const sharedEnv = readFileSync(join(SYSTEMD_DIR, 'cb.env.example'), 'utf8');
const instanceEnv = readFileSync(join(SYSTEMD_DIR, 'instance.env.example'), 'utf8');
const SCRIPT = join(SYSTEMD_DIR, 'cb-healthcheck');

/** An ExecStart= line as the process receives it: specifiers resolved, `$$` unescaped, split. */
function execArgv(line: string, instance: string): string[] {
  const specified = line.replace(/%(.)/g, (_, c: string) => {
    if (c === '%') return '%';
    if (c === 'i') return instance;
    if (c === 'H') return 'host';
    throw new Error(`specifier %${c} not handled here`);
  });
  if (/\$(?!\$)/.test(specified.replace(/\$\$/g, '')))
    throw new Error('an environment variable in ExecStart= would be substituted by systemd');
  const argv: string[] = [];
  for (const m of specified.replace(/\$\$/g, '$').matchAll(/'([^']*)'|(\S+)/g)) argv.push(m[1] ?? m[2]!);
  return argv;
}

describe('cb@.service', () => {
  const execStart = values(cb, 'Service', 'ExecStart');

  test('default: cb@<role> and cb@<role>-<suffix> run `cb start --role <role>`', async () => {
    expect(execStart).toHaveLength(1);
    const cases: [string, string][] = [
      ['all', 'all'],
      ['api', 'api'],
      ['api-1', 'api'],
      ['api-2', 'api'],
      ['worker-eu-1', 'worker'],
      ['listener', 'listener'],
    ];
    for (const [instance, role] of cases) {
      const [sh, dashC, script, ...rest] = execArgv(execStart[0]!, instance);
      expect(sh).toBe('/bin/sh');
      expect(dashC).toBe('-c');
      const binary = 'exec /usr/bin/node /opt/cb/bin/cb.js';
      expect(script?.startsWith(`${binary} start --role `)).toBe(true);
      // The same script with the binary replaced by echo: the arguments cb would get.
      const { status, stdout } = await run(sh!, [dashC!, script!.replace(binary, 'echo'), ...rest]);
      expect(status).toBe(0);
      expect(stdout.trim()).toBe(`start --role ${role}`);
      expect(ROLES).toContain(role);
    }
  });

  test('default: restarts always, paced, and never gives up', () => {
    expect(value(cb, 'Service', 'Restart')).toBe('always');
    expect(spanSeconds(value(cb, 'Service', 'RestartSec') ?? '0')).toBeGreaterThanOrEqual(5);
    // The limit lives in [Unit] (systemd ignores it in [Service] since v230); 0: no limit.
    expect(value(cb, 'Service', 'StartLimitIntervalSec')).toBeUndefined();
    expect(value(cb, 'Unit', 'StartLimitIntervalSec')).toBe('0');
  });

  test('default: stops with SIGTERM and waits longer than cb drains', () => {
    expect(value(cb, 'Service', 'KillSignal')).toBe('SIGTERM');
    expect(value(cb, 'Service', 'KillMode')).toBe('mixed');
    const stopS = spanSeconds(value(cb, 'Service', 'TimeoutStopSec') ?? '0');
    const graceS = configFrom({}).shutdownGraceMs / 1000;
    expect(stopS).toBeGreaterThan(graceS);
    // The grace the example env file suggests too, with room to close the database after it.
    const suggested = /^#?\s*CB_SHUTDOWN_GRACE_MS=(\d+)$/m.exec(sharedEnv)?.[1];
    expect(suggested).toBeDefined();
    expect(stopS).toBeGreaterThanOrEqual(Number(suggested) / 1000 + 10);
  });

  test('default: runs as its own user, hardened, with only its data and log directories writable', () => {
    const user = value(cb, 'Service', 'User');
    expect(user).toBe('cb');
    expect(readFileSync(join(SYSTEMD_DIR, 'cb.sysusers'), 'utf8')).toMatch(/^u cb - .* \/var\/lib\/cb$/m);
    for (const [key, want] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['PrivateDevices', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['StateDirectory', 'cb'],
      ['LogsDirectory', 'cb'],
    ] as const)
      expect([key, value(cb, 'Service', key)]).toEqual([key, want]);
    // The directories systemd makes writable are the ones cb is told to write.
    expect(environmentOf(cb).get('CB_DATA_DIR')).toBe('/var/lib/cb');
    expect(sharedEnv).toMatch(/^#?CB_LOG_DIR=\/var\/log\/cb$/m);
    expect(values(cb, 'Service', 'ReadWritePaths')).toEqual([]);
  });

  test('default: reads the shared env file, then its own (required: its CB_PORT)', () => {
    for (const unit of [cb, check])
      expect(values(unit, 'Service', 'EnvironmentFile')).toEqual(['/etc/cb/cb.env', '/etc/cb/%i.env']);
    expect(envFileNames(instanceEnv).active.get('CB_PORT')).toMatch(/^\d+$/);
    expect(environmentOf(cb).get('CB_INSTANCE')).toBe('%H-%i');
  });

  test('default: names only real settings, with values cb accepts', () => {
    for (const name of environmentOf(cb).keys()) expect(SETTING_NAMES).toContain(name);
    for (const text of [sharedEnv, instanceEnv]) {
      const { active, all } = envFileNames(text);
      for (const name of all) expect(SETTING_NAMES).toContain(name);
      expect(() => configFrom(Object.fromEntries(active))).not.toThrow();
    }
    // The probe's own knobs are no cb settings, and are what the script reads.
    const script = readFileSync(SCRIPT, 'utf8');
    for (const name of environmentOf(check).keys()) {
      expect(name).toMatch(/^HEALTHCHECK_/);
      expect(script).toContain(`\${${name}:-`);
    }
  });

  test('default: an instance brings its health check timer, which replaces a hung one within a minute', () => {
    expect(values(cb, 'Unit', 'Wants').join(' ').split(/\s+/)).toContain('cb-healthcheck@%i.timer');
    expect(value(timer, 'Unit', 'PartOf')).toBe('cb@%i.service');
    expect(value(check, 'Service', 'ExecStart')).toBe('/bin/sh /opt/cb/deploy/systemd/cb-healthcheck %i');
    expect(value(check, 'Service', 'Type')).toBe('oneshot');
    const env = environmentOf(check);
    const periodS = spanSeconds(value(timer, 'Timer', 'OnUnitActiveSec') ?? '0');
    const failures = Number(env.get('HEALTHCHECK_FAILURES'));
    const timeoutS = Number(env.get('HEALTHCHECK_TIMEOUT_S'));
    expect(periodS).toBeGreaterThan(timeoutS);
    expect(failures).toBeGreaterThanOrEqual(2);
    expect(periodS * failures + timeoutS).toBeLessThanOrEqual(60);
    // A probe never starts before cb could have served: the timer's first run and the start period.
    expect(spanSeconds(value(timer, 'Timer', 'OnActiveSec') ?? '0')).toBeGreaterThanOrEqual(30);
    expect(value(cb, 'Install', 'WantedBy')).toBe('cb.target');
    expect(value(target, 'Install', 'WantedBy')).toBe('multi-user.target');
  });
});

/**
 * The probe script against a real HTTP server. `systemctl` is a spy on PATH that answers
 * is-active / show from the environment and records every call.
 */
describe('cb-healthcheck', () => {
  let dir: string;
  let server: Server;
  let port: number;
  let mode: 'ok' | 'fail' | 'hang' = 'ok';
  let requests = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cb-healthcheck-'));
    const systemctl = join(dir, 'systemctl');
    writeFileSync(
      systemctl,
      [
        '#!/bin/sh',
        'echo "$*" >>"$SPY_LOG"',
        'case "$1" in',
        '  is-active) [ "$FAKE_ACTIVE" = yes ] ;;',
        '  show) echo "$FAKE_ENTERED_US" ;;',
        'esac',
        '',
      ].join('\n'),
    );
    chmodSync(systemctl, 0o755);
    server = createServer((req, res) => {
      requests++;
      if (req.url !== '/healthz') res.writeHead(404).end();
      else if (mode === 'ok') res.writeHead(200).end('{"status":"ok"}');
      else if (mode === 'fail') res.writeHead(500).end();
      // 'hang': never answers, like a blocked event loop.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const uptimeS = () => Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]));

  async function probe(env: Record<string, string> = {}) {
    const spy = join(dir, 'spy.log');
    writeFileSync(spy, '');
    const result = await run('/bin/sh', [SCRIPT, 'api-1'], {
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        SPY_LOG: spy,
        RUNTIME_DIRECTORY: dir,
        CB_PORT: String(port),
        FAKE_ACTIVE: 'yes',
        FAKE_ENTERED_US: String(uptimeS() * 1_000_000),
        HEALTHCHECK_START_PERIOD_S: '0',
        HEALTHCHECK_FAILURES: '3',
        HEALTHCHECK_TIMEOUT_S: '1',
        ...env,
      },
      timeoutMs: 20_000,
    });
    const calls = readFileSync(spy, 'utf8').split('\n').filter(Boolean);
    return { ...result, calls, restarted: calls.includes('restart --no-block cb@api-1.service') };
  }

  const failures = () => {
    try {
      return Number(readFileSync(join(dir, 'api-1.failures'), 'utf8'));
    } catch {
      return 0;
    }
  };

  test('default: a healthy instance is left alone', async () => {
    mode = 'ok';
    const before = requests;
    const r = await probe();
    expect(r.status).toBe(0);
    expect(requests).toBe(before + 1);
    expect(r.restarted).toBe(false);
    expect(failures()).toBe(0);
  });

  test('behavior: restarts the instance on the third failed probe in a row, not before', async () => {
    mode = 'fail';
    for (const n of [1, 2]) {
      const r = await probe();
      expect(r.status).toBe(1);
      expect(r.restarted).toBe(false);
      expect(failures()).toBe(n);
      expect(r.stderr).toContain(`failed (${n} of 3 in a row)`);
    }
    const third = await probe();
    expect(third.status).toBe(1);
    expect(third.restarted).toBe(true);
    expect(third.stderr).toContain('restarting the instance');
    // The count starts again for the new process.
    expect(failures()).toBe(0);
  });

  test('behavior: a probe that succeeds in between resets the count', async () => {
    mode = 'fail';
    await probe();
    await probe();
    mode = 'ok';
    await probe();
    mode = 'fail';
    const r = await probe();
    expect(r.restarted).toBe(false);
    expect(failures()).toBe(1);
    mode = 'ok';
    await probe();
  });

  test('behavior: an instance that does not answer in time fails the probe', async () => {
    mode = 'hang';
    const started = performance.now();
    const r = await probe({ HEALTHCHECK_FAILURES: '1' });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(r.status).toBe(1);
    expect(r.restarted).toBe(true);
    mode = 'ok';
  });

  test('behavior: an instance that listens on every interface is probed on loopback', async () => {
    mode = 'ok';
    const before = requests;
    const r = await probe({ CB_HOST: '0.0.0.0' });
    expect(r.status).toBe(0);
    expect(requests).toBe(before + 1);
  });

  test('behavior: a stopped or failed instance is not probed, and its count starts again', async () => {
    mode = 'fail';
    await probe();
    expect(failures()).toBe(1);
    const before = requests;
    const r = await probe({ FAKE_ACTIVE: 'no' });
    expect(r.status).toBe(0);
    expect(requests).toBe(before);
    expect(r.calls).toEqual(['is-active --quiet cb@api-1.service']);
    expect(failures()).toBe(0);
    mode = 'ok';
  });

  test('behavior: an instance still within its start period is not probed', async () => {
    mode = 'fail';
    const before = requests;
    const r = await probe({ HEALTHCHECK_START_PERIOD_S: '60' });
    expect(r.status).toBe(0);
    expect(requests).toBe(before);
    expect(r.restarted).toBe(false);
    mode = 'ok';
  });
});

/**
 * systemd's own check of the units, and its security review (offline: no running systemd needed).
 * systemd-analyze is not among .ci/run's packages, so a missing one skips rather than fails in CI.
 */
const analyze = (await hasTool('systemd-analyze')) ? 'systemd-analyze' : undefined;
if (!analyze) process.stdout.write('systemd-analyze verify skipped: systemd-analyze is not installed\n');

describe.skipIf(!analyze)('systemd-analyze', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cb-units-'));
    for (const name of ['cb@.service', 'cb.target', 'cb-healthcheck@.service', 'cb-healthcheck@.timer'])
      writeFileSync(join(dir, name), readFileSync(join(SYSTEMD_DIR, name)));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('default: verify accepts every unit without a warning', async () => {
    for (const unit of [
      'cb@api-1.service',
      'cb-healthcheck@api-1.service',
      'cb-healthcheck@api-1.timer',
      'cb.target',
    ]) {
      const r = await run('systemd-analyze', ['verify', join(dir, unit)]);
      // Unknown keys and bad values are warnings on stderr with exit status 0.
      expect({ unit, status: r.status, output: r.stdout + r.stderr }).toEqual({
        unit,
        status: 0,
        output: '',
      });
    }
  });

  test('default: the security review rates both services OK (exposure below 2.5)', async () => {
    for (const unit of ['cb@api-1.service', 'cb-healthcheck@api-1.service']) {
      const r = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', join(dir, unit)]);
      const exposure = /Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout + r.stderr)?.[1];
      expect({ unit, exposure: Number(exposure) < 2.5 }).toEqual({ unit, exposure: true });
    }
  });
});
