/**
 * `npm run bench:load` — the HTTP API of a real `cb start` under load, then stress, then back
 * (seed 8.3 负载测试: 模拟预期峰值负载 · 测试系统极限容量, 确定系统崩溃点 · 验证故障恢复机制 ·
 * 与历史数据比较, 识别性能退化).
 *
 * Setup: a fresh database (PostgreSQL, or PGlite with --driver pglite) with a small catalogue and
 * an API key, then `cb start` as a child process (role all, the embedded dev chain, the default
 * load shedding; only the per-key rate limit is lifted, or every step would end in 429s) and
 * `--members` members with events and unlocks behind them.
 *
 * Traffic: open loop — request i is due at t0 + i/rate whatever came back, and its latency counts
 * from when it was due, so a slow server is not hidden by a generator that waits for it
 * (coordinated omission). The mix of a community's day: 40 % POST /v1/events (10 events each, with
 * the key), 25 % a member's achievements, 15 % a member's voting power, 10 % the proposals, 10 % the
 * catalogue; keep-alive connections, at most --connections (256) open: more requests than that
 * wait in the generator, as they would in a client's own connection pool, and their wait counts.
 *
 * A step passes when p95 ≤ --p95-ms, errors (5xx, shed 503s, timeouts, refused connections) ≤
 * --max-errors of the requests, and the server answered ≥ 95 % of the target rate.
 *   1. load: --rate (the expected peak) for --seconds;
 *   2. stress: the rate × --step each step, until a step fails (the breaking point) or --max-rate;
 *   3. recovery: back at --rate in one-second windows until one passes (at most 60 s), and the
 *      server must still be up (/readyz).
 * Each run is appended to --history (JSON lines) and compared with the latest earlier run on the
 * same machine, driver, rate and connections: capacity down by more than 15 % or load p95 up by
 * more than 25 % is reported as a regression (exit code 4). Exit code 1: the server did not recover.
 *
 * Both the generator and the server run on this machine: the CPU each used is printed per step, so
 * a generator-bound figure shows as such.
 *
 * Usage: npm run bench:load -- [--driver pg|pglite] [--rate 200] [--seconds 10] [--step 1.5]
 *                              [--max-rate 20000] [--p95-ms 1000] [--max-errors 0.01]
 *                              [--members 2000] [--connections 256] [--history FILE] [--json]
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { saveAchievements } from '../src/achievements/index.ts';
import { createApiKeys } from '../src/platform/apikeys/index.ts';
import { createDb } from '../src/platform/db/create-db.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { createSilentLogger } from '../src/platform/logger.ts';
import { createMetrics } from '../src/platform/metrics.ts';
import { freePort } from '../test/alerting/support.ts';
import { createTestDatabase } from '../test/services.ts';
import { choice, cpuBetween, requirePostgres, sampleCpu } from './support.ts';

const { values: args } = parseArgs({
  options: {
    driver: { type: 'string', default: 'pg' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    step: { type: 'string', default: '1.5' },
    'max-rate': { type: 'string', default: '20000' },
    'p95-ms': { type: 'string', default: '1000' },
    'max-errors': { type: 'string', default: '0.01' },
    members: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '256' },
    history: { type: 'string', default: join('.cb-data', 'bench', 'api-load.jsonl') },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
const USAGE =
  'usage: npm run bench:load -- [--driver pg|pglite] [--rate 200] [--seconds 10] [--step 1.5] [--max-rate 20000] [--p95-ms 1000] [--max-errors 0.01] [--members 2000] [--connections 256] [--history FILE] [--json]';
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

function positive(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`bench:load: --${name} must be a number from ${min} to ${max}, got "${text}"\n${USAGE}`);
    process.exit(2);
  }
  return n;
}
const drivers = choice('bench:load', 'driver', args.driver, ['pg', 'pglite'] as const);
if (drivers.length !== 1) {
  console.error(`bench:load: --driver takes pg or pglite (one server per run), got "${args.driver}"`);
  process.exit(2);
}
const DRIVER = drivers[0]!;
const RATE = positive('rate', args.rate, 1, 100_000);
const SECONDS = positive('seconds', args.seconds, 1, 3600);
const STEP = positive('step', args.step, 1.05, 10);
const MAX_RATE = positive('max-rate', args['max-rate'], RATE, 1_000_000);
const P95_MS = positive('p95-ms', args['p95-ms'], 1, 60_000);
const MAX_ERRORS = positive('max-errors', args['max-errors'], 0, 1);
const MEMBERS = Math.floor(positive('members', args.members, 1, 1_000_000));
const CONNECTIONS = Math.floor(positive('connections', args.connections, 1, 65_536));
const REQUEST_TIMEOUT_MS = 10_000;
const log = (line: string) => {
  if (!args.json) console.log(line);
};

/** What one step measured. */
interface StepResult {
  phase: 'load' | 'stress' | 'recovery';
  targetRate: number;
  seconds: number;
  sent: number;
  /** Answers per second over the step (errors included). */
  achievedRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** p95 of the requests answered without an error (what a client that got an answer waited). */
  answeredP95Ms: number;
  /** 5xx (shed 503s included), timeouts, connection errors. */
  errors: number;
  errorRate: number;
  byStatus: Record<string, number>;
  cpuSeconds: { server: number; generator: number };
  passed: boolean;
}

// ── setup ─────────────────────────────────────────────────────────────────────
await requirePostgres('bench:load', [DRIVER]);
const member = (i: number) => `0x${(i + 1).toString(16).padStart(40, '0')}`;
const TYPES = ['commit', 'review', 'comment', 'trade'];

const scratch = mkdtempSync(join(tmpdir(), 'cb-bench-load-'));
const pgDb = DRIVER === 'pg' ? await createTestDatabase() : undefined;
const target = pgDb
  ? { databaseUrl: pgDb.url, dataDir: 'memory://' }
  : { databaseUrl: undefined, dataDir: scratch };
const quiet = createSilentLogger();
let key: string;
{
  const db = await createDb({
    ...target,
    poolMax: 2,
    slowQueryMs: 60_000,
    logger: quiet,
    metrics: createMetrics(),
  });
  await migrate(db, quiet);
  await saveAchievements(
    db,
    TYPES.flatMap((type, i) => [
      {
        id: `${type}-5`,
        name: `${type} ×5`,
        category: `c${i}`,
        weight: 1,
        rule: { type: 'count', filter: { types: [type] }, target: 5 },
      },
      {
        id: `${type}-50`,
        name: `${type} ×50`,
        category: `c${i}`,
        weight: 3,
        rule: { type: 'count', filter: { types: [type] }, target: 50 },
      },
    ]),
    { actor: 'bench', mode: 'upsert' },
  );
  ({ key } = await createApiKeys({ db, logger: quiet }).create({
    name: 'bench-load',
    scopes: ['events:write'],
  }));
  await db.close();
}
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const serverLog = join(scratch, 'cb.log');
/** This environment without the settings that would point cb elsewhere, plus the bench's. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'RPC_URLS', 'CB_DATA_DIR', 'CB_BACKUP_SCHEDULE'])
    delete env[name];
  return {
    ...env,
    ...(pgDb ? { DATABASE_URL: pgDb.url } : { CB_DATA_DIR: scratch }),
    CB_HOST: '127.0.0.1',
    CB_PORT: String(port),
    CB_RATE_LIMIT_MAX: '10000000',
    CB_LOG_LEVEL: 'warn',
  };
}
const child = spawn(process.execPath, ['bin/cb.js', 'start'], {
  env: childEnv(),
  stdio: ['ignore', 'pipe', 'pipe'],
});
child.stdout.on('data', (c: Buffer) => appendFileSync(serverLog, c));
child.stderr.on('data', (c: Buffer) => appendFileSync(serverLog, c));
let exited: number | null = null;
child.once('exit', (code) => {
  exited = code ?? -1;
});

/** Stops the server and drops the database; on failure the server's log (and data directory) stay. */
async function cleanup(keepLog: boolean): Promise<void> {
  if (exited === null) {
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 150 && exited === null; i++) await new Promise((r) => setTimeout(r, 100));
    if (exited === null) child.kill('SIGKILL');
  }
  await pgDb?.drop().catch(() => {});
  if (keepLog) console.error(`bench:load: the server's log is kept in ${serverLog}`);
  else rmSync(scratch, { recursive: true, force: true });
}

const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });

/** One request: its status (0 for a timeout or a connection error) and when it ended. */
function send(method: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      `${base}${path}`,
      {
        method,
        agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: body
          ? {
              'content-type': 'application/json',
              authorization: `Bearer ${key}`,
              'content-length': Buffer.byteLength(body),
            }
          : {},
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', () => resolve(0));
      },
    );
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => resolve(0));
    req.end(body);
  });
}

async function waitReady(): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`cb start exited with ${exited}; its log: ${serverLog}`);
    if ((await send('GET', '/readyz')) === 200) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`cb start was not ready within 180 s; its log: ${serverLog}`);
}

let eventSeq = 0;
/** The next request of the mix. */
function nextRequest(i: number): [string, string, string?] {
  const slot = i % 20;
  const who = member((i * 7919) % MEMBERS);
  if (slot < 8) {
    const events = Array.from({ length: 10 }, (_, k) => ({
      id: `load-${process.pid}-${++eventSeq}`,
      type: TYPES[(i + k) % TYPES.length],
      source: 'app',
      user: member((i * 31 + k * 977) % MEMBERS),
      occurredAt: new Date().toISOString(),
      data: {},
    }));
    return ['POST', '/v1/events', JSON.stringify({ events })];
  }
  if (slot < 13) return ['GET', `/v1/users/${who}/achievements`];
  if (slot < 16) return ['GET', `/v1/voting-power/${who}`];
  if (slot < 18) return ['GET', '/v1/proposals'];
  return ['GET', '/v1/achievements'];
}

const CPU_ROLES = [{ role: 'server', match: /bin\/cb\.js start/ }] as const;
const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** `rate` requests/s for `seconds`, open loop. */
async function runStep(phase: StepResult['phase'], rate: number, seconds: number): Promise<StepResult> {
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies: number[] = [];
  const answered: number[] = [];
  const byStatus: Record<string, number> = {};
  let errors = 0;
  let done = 0;
  const cpu0 = sampleCpu(CPU_ROLES);
  const t0 = performance.now();
  let sent = 0;
  let allSent!: () => void;
  const finished = new Promise<void>((r) => {
    allSent = r;
  });
  const record = (due: number, status: number) => {
    const ms = performance.now() - due;
    latencies.push(ms);
    if (status > 0 && status < 500) answered.push(ms);
    const label = status === 0 ? 'error' : String(status);
    byStatus[label] = (byStatus[label] ?? 0) + 1;
    if (status === 0 || status >= 500) errors++;
    if (++done === total) allSent();
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && t0 + (sent * 1000) / rate <= now) {
        const due = t0 + (sent * 1000) / rate;
        const [method, path, body] = nextRequest(sent);
        sent++;
        send(method, path, body).then((status) => record(due, status));
      }
      if (sent < total) setTimeout(tick, 2);
      else resolve();
    };
    tick();
  });
  await finished;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuBetween(cpu0, sampleCpu(CPU_ROLES));
  latencies.sort((a, b) => a - b);
  answered.sort((a, b) => a - b);
  const p95 = quantile(latencies, 0.95);
  const achievedRate = done / elapsed;
  const errorRate = errors / done;
  return {
    phase,
    targetRate: rate,
    seconds: elapsed,
    sent: total,
    achievedRate,
    p50Ms: quantile(latencies, 0.5),
    p95Ms: p95,
    p99Ms: quantile(latencies, 0.99),
    maxMs: latencies.at(-1) ?? Number.NaN,
    answeredP95Ms: quantile(answered, 0.95),
    errors,
    errorRate,
    byStatus,
    cpuSeconds: { server: cpu.server ?? 0, generator: cpu.self ?? 0 },
    passed: p95 <= P95_MS && errorRate <= MAX_ERRORS && achievedRate >= 0.95 * rate,
  };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
function printStep(s: StepResult): void {
  const statuses = Object.entries(s.byStatus)
    .sort()
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
  log(
    `${s.phase.padEnd(8)} ${fmt(s.targetRate).padStart(6)}/s → ${fmt(s.achievedRate).padStart(6)}/s  p50 ${fmt(s.p50Ms, 1).padStart(7)} p95 ${fmt(s.p95Ms, 1).padStart(7)} p99 ${fmt(s.p99Ms, 1).padStart(7)} max ${fmt(s.maxMs).padStart(6)} ms (answered: p95 ${fmt(s.answeredP95Ms, 1)})  errors ${fmt(s.errorRate * 100, 2)} %  [${statuses}]  CPU-s server ${fmt(s.cpuSeconds.server, 1)} generator ${fmt(s.cpuSeconds.generator, 1)}  ${s.passed ? 'ok' : 'FAIL'}`,
  );
}

// ── the run ───────────────────────────────────────────────────────────────────
const machine = {
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  cores: cpus().length,
  memGiB: Math.round(totalmem() / 2 ** 30),
};
let exitCode = 0;
try {
  const started = performance.now();
  await waitReady();
  log(
    `bench:load — cb start (${DRIVER}) on ${base}, ready in ${fmt((performance.now() - started) / 1000, 1)} s; ${machine.cores} cores (${machine.cpu}), ${machine.memGiB} GiB; node ${process.version}`,
  );
  log(`pass: p95 ≤ ${P95_MS} ms, errors ≤ ${fmt(MAX_ERRORS * 100, 2)} %, ≥ 95 % of the target rate answered`);
  // Members with history: a few events each, so reads find unlocks and progress.
  const warm = await runStep(
    'load',
    Math.min(RATE, 200),
    Math.max(1, Math.ceil(MEMBERS / 20 / Math.min(RATE, 200))),
  );
  log(`warm-up: ${warm.sent} requests (${fmt(warm.achievedRate)}/s)`);

  const load = await runStep('load', RATE, SECONDS);
  printStep(load);
  const stress: StepResult[] = [];
  let rate = RATE;
  let breaking: StepResult | undefined;
  while (load.passed && rate * STEP <= MAX_RATE) {
    rate = Math.round(rate * STEP);
    const s = await runStep('stress', rate, SECONDS);
    printStep(s);
    stress.push(s);
    if (!s.passed) {
      breaking = s;
      break;
    }
  }
  const capacity = [load, ...stress].filter((s) => s.passed).at(-1);
  let recoverySeconds: number | null = null;
  const recovery: StepResult[] = [];
  // Recovery means back within limits the expected peak met before; if it never met them, there is none to time.
  if (breaking && load.passed) {
    for (let second = 1; second <= 60; second++) {
      const w = await runStep('recovery', RATE, 1);
      recovery.push(w);
      if (w.passed) {
        recoverySeconds = second;
        break;
      }
    }
    const up = exited === null && (await send('GET', '/readyz')) === 200;
    if (recoverySeconds === null || !up) exitCode = 1;
    log(
      recoverySeconds !== null && up
        ? `recovery: back within ${RATE}/s limits after ${recoverySeconds} s; /readyz 200`
        : `recovery: NOT recovered within 60 s at ${RATE}/s (server ${exited === null ? 'up' : `exited ${exited}`}); its log: ${serverLog}`,
    );
  }
  log(
    capacity
      ? `capacity: ${fmt(capacity.achievedRate)} requests/s within the limits (${capacity.phase} step of ${fmt(capacity.targetRate)}/s)` +
          (breaking
            ? `; breaking point at ${fmt(breaking.targetRate)}/s (p95 ${fmt(breaking.p95Ms)} ms, errors ${fmt(breaking.errorRate * 100, 2)} %, ${fmt(breaking.achievedRate)}/s answered)`
            : `; no breaking point up to --max-rate ${MAX_RATE}/s`)
      : `capacity: the expected peak of ${RATE}/s already fails the limits`,
  );

  // History: compare with the latest earlier run of the same machine, driver, rate and connections.
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  })();
  const entry = {
    at: new Date().toISOString(),
    commit,
    machine,
    driver: DRIVER,
    rate: RATE,
    connections: CONNECTIONS,
    limits: { p95Ms: P95_MS, maxErrors: MAX_ERRORS },
    load,
    capacityRate: capacity?.achievedRate ?? 0,
    breakingRate: breaking?.targetRate ?? null,
    recoverySeconds,
    stress,
  };
  type Entry = typeof entry;
  const previous = existsSync(args.history)
    ? readFileSync(args.history, 'utf8')
        .split('\n')
        .filter(Boolean)
        .flatMap((l): Entry[] => {
          try {
            return [JSON.parse(l) as Entry];
          } catch {
            return [];
          }
        })
        .filter(
          (e) =>
            e.driver === DRIVER &&
            e.rate === RATE &&
            // Runs before --connections existed had 256.
            (e.connections ?? 256) === CONNECTIONS &&
            e.machine?.cpu === machine.cpu &&
            e.machine?.cores === machine.cores,
        )
        .at(-1)
    : undefined;
  mkdirSync(dirname(args.history), { recursive: true });
  appendFileSync(args.history, `${JSON.stringify(entry)}\n`);
  const regression: string[] = [];
  if (previous) {
    const capChange = previous.capacityRate > 0 ? entry.capacityRate / previous.capacityRate - 1 : 0;
    const p95Change = previous.load.p95Ms > 0 ? load.p95Ms / previous.load.p95Ms - 1 : 0;
    if (capChange < -0.15) regression.push(`capacity ${fmt(capChange * 100)} %`);
    if (p95Change > 0.25) regression.push(`load p95 +${fmt(p95Change * 100)} %`);
    log(
      `history: against ${previous.at} (${previous.commit ?? '?'}): capacity ${fmt(previous.capacityRate)} → ${fmt(entry.capacityRate)}/s (${capChange >= 0 ? '+' : ''}${fmt(capChange * 100)} %), load p95 ${fmt(previous.load.p95Ms, 1)} → ${fmt(load.p95Ms, 1)} ms` +
        (regression.length > 0 ? ` — REGRESSION: ${regression.join(', ')}` : ''),
    );
  } else log(`history: first run of this machine, driver and rate in ${args.history}`);
  if (regression.length > 0 && exitCode === 0) exitCode = 4;
  if (args.json) console.log(JSON.stringify({ ...entry, regression }, null, 2));
} catch (err) {
  console.error(`bench:load: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  agent.destroy();
  await cleanup(exitCode === 1);
}
process.exit(exitCode);
