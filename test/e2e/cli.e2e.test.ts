/**
 * The real binary, as an operator runs it: `cb start` (and `cb chain dev`) in a child process, read from its stdout,
 * spoken to over HTTP, stopped with SIGTERM. Runs on the embedded database in the first test pass
 * and on PostgreSQL + Redis in the second (CB_TEST_DRIVER=pg).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeFunctionData, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { achievementBadgeAbi } from '../../src/chain/abi/AchievementBadge.ts';
import { MINTER_ROLE } from '../../src/chain/minter/minter-role.ts';
import {
  deleteRedisKeys,
  REDIS_TEST_URL,
  seededDataDir,
  TEST_DRIVER,
  testDatabaseTarget,
  uniqueName,
} from '../services.ts';

const BIN = join(import.meta.dirname, '../../bin/cb.js');
const SEED_FIELDS = ['context', 'instance', 'level', 'message', 'metrics', 'service', 'timestamp', 'traceId'];

interface Running {
  child: ChildProcess;
  url: string;
  lines: string[];
  startedInMs: number;
  exited: Promise<number | null>;
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CB_LOG_LEVEL: 'info',
    ...extra,
  };
  return env;
}

function runCli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: baseEnv(env),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function startCb(env: Record<string, string>): Promise<Running> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'start'], {
    env: baseEnv({ CB_PORT: '0', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`cb start did not serve within 60 s; stderr: ${stderr}`)),
      60_000,
    );
    const check = setInterval(() => {
      const m = /serving (http:\/\/\S+)/.exec(stderr);
      if (m) {
        clearInterval(check);
        clearTimeout(timer);
        resolve(m[1]!);
      }
    }, 25);
    void exited.then((code) => {
      clearInterval(check);
      clearTimeout(timer);
      reject(new Error(`cb start exited with ${code}: ${stderr}`));
    });
  });
  const health = await fetch(`${url}/healthz`);
  expect(health.status).toBe(200);
  return { child, url, lines, startedInMs: performance.now() - t0, exited };
}

const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Real processes on a 2-core machine that may be busy: generous per-test time.
describe('cb start (real process)', { timeout: 180_000 }, () => {
  let env: Record<string, string>;
  let drop: () => Promise<void> = async () => {};
  let adminKey: string;
  const redisPrefix = `${uniqueName('cbtest-e2e')}:`;

  beforeAll(async () => {
    env = { CB_DATA_DIR: await seededDataDir('cb-e2e-'), CB_INSTANCE: 'e2e-1' };
    if (TEST_DRIVER === 'pg') {
      const target = await testDatabaseTarget();
      drop = target.drop;
      env.DATABASE_URL = target.databaseUrl!;
      env.REDIS_URL = REDIS_TEST_URL;
      // Its own keys on the shared test Redis, deleted after.
      env.CB_REDIS_KEY_PREFIX = redisPrefix;
    }
    const created = runCli(['apikey', 'create', '--name', 'e2e-admin', '--scopes', 'admin', '--json'], env);
    expect(created.status).toBe(0);
    adminKey = (JSON.parse(created.stdout) as { key: string }).key;
  });
  afterAll(async () => {
    await drop();
    await deleteRedisKeys(redisPrefix);
  });

  test('default: serves health, readiness and metrics; every stdout line has the seed shape; traceparent reaches the job', async () => {
    const cb = await startCb(env);
    try {
      // The start time a newcomer waits for (printed for the record; the target is checked by the README's promise).
      process.stdout.write(`cb start ready in ${Math.round(cb.startedInMs)} ms (${TEST_DRIVER})\n`);
      const ready = await fetch(`${cb.url}/readyz`);
      expect(ready.status).toBe(200);
      const checks = ((await ready.json()) as { checks: Record<string, string> }).checks;
      expect(checks).toEqual(
        TEST_DRIVER === 'pg' ? { database: 'up', redis: 'up', rpc: 'up' } : { database: 'up', rpc: 'up' },
      );
      const metrics = await (await fetch(`${cb.url}/metrics`)).text();
      expect(metrics).toMatch(/^cb_http_request_duration_seconds_bucket\{.*route="\/readyz"/m);
      // The role, for ApiDown (Prometheus scrapes every role under one job).
      expect(metrics).toMatch(/^cb_instance_info\{role="all",version="\d+\.\d+\.\d+[^"]*"\} 1$/m);

      // The chain plane of role all on the embedded dev chain: listener and minter run here, no pool.
      const chain = await waitFor('the listener to report a head', async () => {
        const res = await fetch(`${cb.url}/v1/ops/chain`, {
          headers: { authorization: `Bearer ${adminKey}` },
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as {
          identity: { chainId: number; dev: boolean } | null;
          instance: {
            listener: { running: boolean; headBlock: string | null } | null;
            minter: { account: string } | null;
            rpc: unknown;
          };
        };
        return body.instance.listener?.headBlock ? body : undefined;
      });
      expect(chain.identity).toMatchObject({ chainId: 31337, dev: true });
      expect(chain.instance.listener?.running).toBe(true);
      expect(chain.instance.minter?.account).toMatch(/^0x[0-9a-fA-F]{40}$/);
      expect(chain.instance.rpc).toBeNull();
      // The embedded chain makes blocks without transactions too (a block every 2 s).
      const headOf = async () => {
        const res = await fetch(`${cb.url}/v1/ops/chain`, {
          headers: { authorization: `Bearer ${adminKey}` },
        });
        return BigInt(
          ((await res.json()) as { instance: { listener: { headBlock: string } } }).instance.listener
            .headBlock,
        );
      };
      const firstHead = await headOf();
      await waitFor(
        'a block without a transaction',
        async () => ((await headOf()) > firstHead ? true : undefined),
        10_000,
      );
      // Role all runs the minter and the listener, so their gauges are exported here (a process
      // without them exports none: the alert rules read a missing series as "not running").
      const chainMetrics = await waitFor('the minter and listener gauges', async () => {
        const text = await (await fetch(`${cb.url}/metrics`)).text();
        return /^cb_tx_oldest_pending_seconds \d/m.test(text) && /^cb_chain_processed_block \d/m.test(text)
          ? text
          : undefined;
      });
      expect(chainMetrics).toMatch(/^cb_minter_fees_above_cap 0$/m);
      expect(chainMetrics).toMatch(/^cb_mint_request_oldest_pending_seconds \d/m);

      // A request with a traceparent that creates an achievement: the retroactive job runs in the same trace.
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const created = await fetch(`${cb.url}/v1/achievements`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${adminKey}`,
          traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        },
        body: JSON.stringify({
          id: 'e2e-first',
          name: 'First',
          category: 'test',
          rule: { type: 'count', filter: { types: ['ping'] }, target: 1 },
        }),
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      const jobLine = await waitFor('the retroactive job log line', () =>
        parse(cb.lines).find((e) => e.message === 'retroactive evaluation done' && e.traceId === traceId),
      );
      expect(jobLine.service).toBe('achievement-trigger');

      // A newcomer's unlock becomes a token on the embedded chain, confirmed, with no other traffic
      // (a confirmation depth there would wait for a block that never comes).
      const member = '0x00000000000000000000000000000000000000e1';
      const sent = await fetch(`${cb.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({
          events: [
            { id: 'e2e-ping', type: 'ping', source: 'app', user: member, occurredAt: '2026-01-01T00:00:00Z' },
          ],
        }),
      });
      expect(sent.status).toBe(202);
      const minted = await waitFor('the unlock minted and confirmed', async () => {
        const res = await fetch(
          `${cb.url}/v1/users/${member}/achievements?fields=achievementId,tokenId,mintStatus,mintBlock`,
        );
        const body = (await res.json()) as {
          items: {
            achievementId: string;
            tokenId: string | null;
            mintStatus: string | null;
            mintBlock: string | null;
          }[];
        };
        const item = body.items.find((i) => i.achievementId === 'e2e-first');
        return item?.mintStatus === 'confirmed' ? item : undefined;
      });
      expect(minted.tokenId).toMatch(/^\d+$/);
      expect(minted.mintBlock).toMatch(/^\d+$/);
      // The listener indexes the same token for the same holder (the minter's receipt may come first).
      const badge = await waitFor('the listener to index the token', async () => {
        const res = await fetch(`${cb.url}/v1/badges/${minted.tokenId}`);
        return res.ok ? ((await res.json()) as { holder: string | null; achievementId: string }) : undefined;
      });
      expect(badge).toMatchObject({ holder: member, achievementId: 'e2e-first' });
      // And it gives voting power at the latest confirmed block (the default), with no later block.
      const power = await waitFor('the badge in voting power', async () => {
        const res = await fetch(`${cb.url}/v1/voting-power/${member}`);
        const body = (await res.json()) as { block: string; badges: { tokenId: string }[] };
        return res.ok && body.badges.length > 0 ? body : undefined;
      });
      expect(power.badges.map((b) => b.tokenId)).toEqual([minted.tokenId]);
      expect(BigInt(power.block)).toBeGreaterThanOrEqual(BigInt(minted.mintBlock!));

      const entries = parse(cb.lines);
      expect(entries.length).toBeGreaterThan(5);
      for (const e of entries) {
        const keys = Object.keys(e)
          .filter((k) => k !== 'userId')
          .sort();
        expect(keys).toEqual(SEED_FIELDS);
        expect(e.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(['DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']).toContain(e.level);
        expect(e.instance).toBe('e2e-1');
      }
      expect(cb.lines.join('\n')).not.toContain(adminKey);
      expect(entries.some((e) => e.traceId === traceId && e.service === 'api')).toBe(true);
    } finally {
      cb.child.kill('SIGTERM');
      expect(await cb.exited).toBe(0);
    }
    expect(parse(cb.lines).at(-1)).toMatchObject({ message: 'stopped', context: { signal: 'SIGTERM' } });
  });

  test('behavior: SIGTERM right after events were accepted loses none of them', async () => {
    const first = await startCb(env);
    const user = '0x00000000000000000000000000000000000000e2';
    const events = Array.from({ length: 500 }, (_, i) => ({
      id: `sig-${i}`,
      type: 'ping',
      source: 'app',
      user,
      occurredAt: '2026-01-01T00:00:00Z',
    }));
    const accepted = await fetch(`${first.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ events }),
    });
    expect(accepted.status).toBe(202);
    expect(((await accepted.json()) as { accepted: number }).accepted).toBe(500);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await startCb(env);
    try {
      const status = await waitFor('every event processed', async () => {
        const r = await fetch(`${second.url}/v1/events/sig-499?source=app`, {
          headers: { authorization: `Bearer ${adminKey}` },
        });
        const body = (await r.json()) as { status: string };
        return body.status === 'processed' ? body : undefined;
      });
      expect(status.status).toBe('processed');
      const mine = await (
        await fetch(`${second.url}/v1/users/${user}/achievements?fields=achievementId,status`)
      ).json();
      expect(mine).toMatchObject({ items: [{ achievementId: 'e2e-first', status: 'unlocked' }] });
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    // With the service stopped, the operator's consistency check agrees with what was processed.
    const reconcile = runCli(['reconcile', 'progress', '--user', user, '--json'], env);
    expect(reconcile.status).toBe(0);
    expect(JSON.parse(reconcile.stdout)).toMatchObject({ membersChecked: 1, mismatches: [], fixed: false });
  });

  test('behavior: cb achievements import --no-retroactive queues the evaluation over past events; a worker runs it', async () => {
    // The SIGTERM test's member has 500 pings on record; this achievement is new.
    const user = '0x00000000000000000000000000000000000000e2';
    const file = join(mkdtempSync(join(tmpdir(), 'cb-e2e-cat-')), 'catalogue.json');
    writeFileSync(
      file,
      JSON.stringify([
        {
          id: 'e2e-import',
          name: 'Imported',
          category: 'test',
          rule: { type: 'count', filter: { types: ['ping'] }, target: 2 },
        },
      ]),
    );
    const imported = runCli(['achievements', 'import', file, '--no-retroactive', '--json'], env);
    expect(imported.status, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ retroactive: [], queued: ['e2e-import'] });

    const cb = await startCb(env);
    try {
      const unlocked = await waitFor('the queued evaluation to unlock it', async () => {
        const mine = (await (
          await fetch(`${cb.url}/v1/users/${user}/achievements?fields=achievementId,status`)
        ).json()) as { items: { achievementId: string; status: string }[] };
        return mine.items.find((i) => i.achievementId === 'e2e-import' && i.status === 'unlocked');
      });
      expect(unlocked).toBeDefined();
    } finally {
      cb.child.kill('SIGTERM');
      await cb.exited;
    }
  });

  test.runIf(TEST_DRIVER === 'pglite')(
    'error: a second process on the same data directory is refused with a clear error',
    async () => {
      const cb = await startCb(env);
      try {
        const second = runCli(['migrate'], env);
        expect(second.status).toBe(1);
        expect(second.stderr).toMatch(
          /^cb: data directory .* is in use by process \d+ .*\[CB_DATA_DIR_LOCKED\]\n$/,
        );
      } finally {
        cb.child.kill('SIGTERM');
        await cb.exited;
      }
    },
  );

  test('error: an uncaught error is one FATAL line with the error, a graceful stop and exit 1; log lines are counted by level and service', async () => {
    // A bug that escapes every handler, set off on demand: a preloaded SIGUSR2 handler throws.
    const bug = 'process.on("SIGUSR2",()=>{throw new Error("injected bug 4e1")})';
    const cb = await startCb({
      ...env,
      NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(bug)}`,
    });
    try {
      const metrics = await (await fetch(`${cb.url}/metrics`)).text();
      expect(metrics).toMatch(/^cb_log_lines_total\{level="INFO",service="cb"\} [1-9]/m);
      // Every service's WARN, ERROR and FATAL series exist from the start, at 0 until a line comes.
      expect(metrics).toMatch(/^cb_log_lines_total\{level="FATAL",service="api"\} 0$/m);
      cb.child.kill('SIGUSR2');
      expect(await cb.exited).toBe(1);
    } finally {
      if (cb.child.exitCode === null) cb.child.kill('SIGKILL');
    }
    const entries = parse(cb.lines);
    const fatal = entries.find((e) => e.level === 'FATAL');
    expect(fatal).toMatchObject({
      message: 'uncaught exception; stopping',
      context: { error: { message: 'injected bug 4e1' } },
    });
    expect(entries.at(-1)).toMatchObject({ message: 'stopped', context: { signal: 'uncaught exception' } });
    expect(entries.some((e) => e.message === 'shutting down')).toBe(true);
  });

  test('behavior: the log files moved between tiers at start-up, and those that failed, are counted in cb_log_tier_moves_total', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cb-e2e-tiers-'));
    const hot = join(root, 'hot');
    const archive = join(root, 'archive');
    const cold = join(root, 'cold');
    for (const d of [hot, archive]) mkdirSync(d);
    const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    writeFileSync(join(hot, `cb-old-${day(9)}.jsonl`), '{"n":1}\n');
    writeFileSync(join(hot, `cb-old-${day(10)}.jsonl`), '{"n":2}\n');
    // Another file by the name the second one would take: that move fails (and is left for an operator).
    writeFileSync(join(archive, `cb-old-${day(10)}.jsonl.gz`), gzipSync('another file\n'));
    const cb = await startCb({ ...env, CB_LOG_DIR: hot, CB_LOG_ARCHIVE_DIR: archive, CB_LOG_COLD_DIR: cold });
    try {
      const metrics = await waitFor('the tiers counted', async () => {
        const text = await (await fetch(`${cb.url}/metrics`)).text();
        return /^cb_log_tier_moves_total\{tier="archive",result="failed"\} 1$/m.test(text) ? text : undefined;
      });
      expect(metrics).toMatch(/^cb_log_tier_moves_total\{tier="archive",result="ok"\} 1$/m);
      // The cold tier is configured: its series exist, at 0.
      expect(metrics).toMatch(/^cb_log_tier_moves_total\{tier="cold",result="ok"\} 0$/m);
      expect(metrics).toMatch(/^cb_log_tier_moves_total\{tier="cold",result="failed"\} 0$/m);
    } finally {
      cb.child.kill('SIGTERM');
      await cb.exited;
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('cb start refuses bad configuration', { timeout: 60_000 }, () => {
  test('error: each bad setting on its own line, by name, exit 1', () => {
    const r = runCli(['start'], {
      CB_PORT: 'eighty',
      CB_LOG_LEVEL: 'loud',
      CB_DATA_DIR: mkdtempSync(join(tmpdir(), 'cb-bad-')),
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'cb: invalid configuration: CB_PORT: must be a whole number, got "eighty"',
      'cb: invalid configuration: CB_LOG_LEVEL: must be one of debug, info, warn, error, fatal, got "loud"',
    ]);
  });

  test('error: an unreachable PostgreSQL stops start-up with one line', () => {
    const r = runCli(['start'], { DATABASE_URL: 'postgres://cb:secret-pw@127.0.0.1:1/cb' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cb: database unreachable: .*\[CB_DB_UNAVAILABLE\]\n$/);
    expect(r.stderr + r.stdout).not.toContain('secret-pw');
  });

  test('error: an unknown role or command says so', () => {
    const role = runCli(['start', '--role', 'boss'], {});
    expect(role.status).toBe(1);
    expect(role.stderr).toContain('--role must be one of all, api, worker, listener');
    expect(runCli(['frobnicate'], {}).status).toBe(2);
  });
});

interface DevChainInfo {
  rpcUrl: string;
  chainId: number;
  blockTimeSeconds: number | null;
  badge: { address: string; blockNumber: string };
  accounts: { address: string; privateKey: string }[];
  settings: Record<string, string>;
}

/** `cb chain dev --port 0 --json …` in a child process, once it has printed its JSON. */
async function startChainDev(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'chain', 'dev', '--port', '0', '--json', ...args], {
    env: baseEnv({}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const info = await waitFor(
    'cb chain dev to print its JSON',
    () => {
      if (gone) throw new Error(`cb chain dev exited: ${err}`);
      try {
        return JSON.parse(out) as DevChainInfo;
      } catch {
        return undefined;
      }
    },
    60_000,
  );
  const rpc = async (method: string, params: unknown[] = []) => {
    const res = await fetch(info.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    return ((await res.json()) as { result: unknown }).result;
  };
  return { child, info, exited, rpc };
}

// The dev chain does not depend on the database: once, in the embedded pass.
describe.runIf(TEST_DRIVER === 'pglite')('cb chain dev (real process)', { timeout: 120_000 }, () => {
  test('default: deploys the badge, prints the accounts and the settings for cb start (confirmations 0: blocks come only with transactions); SIGTERM stops it', async () => {
    const dev = await startChainDev([]);
    try {
      expect(dev.info.chainId).toBe(31337);
      expect(dev.info.blockTimeSeconds).toBeNull();
      expect(dev.info.accounts).toHaveLength(20);
      expect(
        ((await dev.rpc('eth_getCode', [dev.info.badge.address, 'latest'])) as string).length,
      ).toBeGreaterThan(2);
      expect(dev.info.settings).toEqual({
        RPC_URLS: dev.info.rpcUrl,
        CB_CHAIN_ID: '31337',
        CB_BADGE_ADDRESS: dev.info.badge.address,
        CB_CHAIN_START_BLOCK: dev.info.badge.blockNumber,
        CB_MINTER_PRIVATE_KEY: dev.info.accounts[1]!.privateKey,
        CB_EXECUTOR_PRIVATE_KEY: dev.info.accounts[0]!.privateKey,
        CB_CHAIN_CONFIRMATIONS: '0',
      });
      // No transaction, no block.
      const head = await dev.rpc('eth_blockNumber');
      await new Promise((r) => setTimeout(r, 1200));
      expect(await dev.rpc('eth_blockNumber')).toBe(head);
    } finally {
      dev.child.kill('SIGTERM');
      expect(await dev.exited).toBe(0);
    }
  });

  test('behavior: --block-time mines blocks without transactions, and the settings keep the default confirmations', async () => {
    const dev = await startChainDev(['--block-time', '0.3']);
    try {
      expect(dev.info.blockTimeSeconds).toBe(0.3);
      expect(dev.info.settings).not.toHaveProperty('CB_CHAIN_CONFIRMATIONS');
      const head = BigInt((await dev.rpc('eth_blockNumber')) as string);
      await waitFor('two more blocks', async () =>
        BigInt((await dev.rpc('eth_blockNumber')) as string) >= head + 2n ? true : undefined,
      );
    } finally {
      dev.child.kill('SIGTERM');
      expect(await dev.exited).toBe(0);
    }
  });

  test('error: a bad --block-time is refused with what it takes, exit 1', () => {
    const r = runCli(['chain', 'dev', '--port', '0', '--block-time', 'fast'], {});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--block-time must be a number of seconds from 0.1 to 3600, got "fast"');
  });
});

describe.runIf(TEST_DRIVER === 'pglite')(
  'cb start executes passed onchain_call proposals',
  { timeout: 180_000 },
  () => {
    test('behavior: with CB_EXECUTOR_PRIVATE_KEY, a passed proposal calling the badge (grantRole) is sent from that account and lands on chain', async () => {
      const dev = await startChainDev([]);
      const grantee = '0x00000000000000000000000000000000000000b0';
      try {
        // CB_CHAIN_ID left out: it is optional with RPC_URLS, the node's is taken.
        const { CB_CHAIN_ID: _chainId, ...settings } = dev.info.settings;
        const env: Record<string, string> = {
          ...settings,
          CB_DATA_DIR: await seededDataDir('cb-e2e-gov-'),
          CB_INSTANCE: 'e2e-gov',
          // The printed settings name dev account #0 (the badge's admin) as the executor.
          CB_GOVERNANCE_VOTING_DELAY_SECONDS: '0',
          CB_GOVERNANCE_VOTING_PERIOD_SECONDS: '2',
          CB_GOVERNANCE_LATE_BALLOT_GRACE_SECONDS: '0',
          CB_GOVERNANCE_TIMELOCK_SECONDS: '0',
        };
        const created = runCli(
          ['apikey', 'create', '--name', 'gov-admin', '--scopes', 'admin', '--json'],
          env,
        );
        expect(created.status).toBe(0);
        const key = (JSON.parse(created.stdout) as { key: string }).key;
        const cb = await startCb(env);
        const api = async (method: string, path: string, body?: unknown) => {
          const res = await fetch(`${cb.url}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${key}`,
              ...(body ? { 'content-type': 'application/json' } : {}),
            },
            ...(body ? { body: JSON.stringify(body) } : {}),
          });
          return {
            status: res.status,
            body: (await res.json().catch(() => null)) as Record<string, unknown>,
          };
        };
        try {
          // The console learns the node's chain: sign-in messages and ballots must name it.
          const web = (await (await fetch(`${cb.url}/v1/web/config`)).json()) as { chainId: number | null };
          expect(web.chainId).toBe(31337);
          // A member with a badge, so there is voting power.
          const voter = privateKeyToAccount(dev.info.accounts[2]!.privateKey as Hex);
          expect(
            (
              await api('POST', '/v1/achievements', {
                id: 'gov-first',
                name: 'First',
                category: 'test',
                rule: { type: 'count', filter: { types: ['ping'] }, target: 1 },
              })
            ).status,
          ).toBe(201);
          const ping = {
            id: 'gov-ping',
            type: 'ping',
            source: 'app',
            user: voter.address.toLowerCase(),
            occurredAt: '2026-01-01T00:00:00Z',
          };
          expect((await api('POST', '/v1/events', { events: [ping] })).status).toBe(202);
          await waitFor('the voter to hold voting power', async () => {
            const p = (await api('GET', `/v1/voting-power/${voter.address}`)).body as { badges?: unknown[] };
            return p.badges && p.badges.length > 0 ? true : undefined;
          });

          const data = encodeFunctionData({
            abi: achievementBadgeAbi,
            functionName: 'grantRole',
            args: [MINTER_ROLE, grantee],
          });
          const proposal = await api('POST', '/v1/proposals', {
            title: 'Grant a second minter',
            body: 'The badge admin grants MINTER_ROLE.',
            type: 'onchain_call',
            actions: [{ to: dev.info.badge.address, data, value: '0' }],
            settings: {},
          });
          expect(proposal.status, JSON.stringify(proposal.body)).toBe(201);
          const id = proposal.body.id as string;

          const gov = (await api('GET', '/v1/governance')).body as {
            domain: { name: string; version: string; chainId: number };
            types: Record<string, { name: string; type: string }[]>;
          };
          const nonce = BigInt(Date.now());
          const signature = await voter.signTypedData({
            domain: gov.domain,
            types: gov.types,
            primaryType: 'Ballot',
            message: { proposalId: BigInt(id), voter: voter.address, support: 1, reason: '', nonce },
          });
          const vote = await api('POST', `/v1/proposals/${id}/votes`, {
            voter: voter.address,
            support: 'for',
            reason: '',
            nonce: nonce.toString(),
            signature,
          });
          expect(vote.status, JSON.stringify(vote.body)).toBeLessThan(300);

          // Voting closes after 2 s; with no timelock the platform executes (the admin endpoint nudges it).
          const done = await waitFor(
            'the proposal executed',
            async () => {
              const p = (await api('GET', `/v1/proposals/${id}`)).body as { state: string };
              if (p.state === 'queued') await api('POST', `/v1/proposals/${id}/execute`);
              return p.state === 'executed' ? p : undefined;
            },
            60_000,
          );
          const executions = (
            done as unknown as {
              executions: { status: string; outcomes: { status: string; txHash: string }[] }[];
            }
          ).executions;
          expect(executions.at(-1)).toMatchObject({ outcomes: [{ status: 'success' }] });
          const txHash = executions.at(-1)!.outcomes[0]!.txHash;
          const tx = (await dev.rpc('eth_getTransactionByHash', [txHash])) as { from: string };
          expect(tx.from.toLowerCase()).toBe(dev.info.accounts[0]!.address.toLowerCase());
          const hasRole = await dev.rpc('eth_call', [
            {
              to: dev.info.badge.address,
              data: encodeFunctionData({
                abi: achievementBadgeAbi,
                functionName: 'hasRole',
                args: [MINTER_ROLE, grantee],
              }),
            },
            'latest',
          ]);
          expect(BigInt(hasRole as string)).toBe(1n);
        } finally {
          cb.child.kill('SIGTERM');
          await cb.exited;
        }
      } finally {
        dev.child.kill('SIGTERM');
        await dev.exited;
      }
    });
  },
);
