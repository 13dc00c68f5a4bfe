/**
 * `npm run bench:events` — the achievement engine under load, on PGlite and on PostgreSQL.
 *
 * For each driver, on a fresh database with a catalogue of 50 achievements mixing every rule type:
 *   1. ingest: N events for U members posted through the HTTP API (batches of 1000, 4 in flight)
 *      while the processor runs → ingest events/s and end-to-end processed events/s (first POST →
 *      last event processed);
 *   2. sustained: R events/s for S seconds with the processor running → p50/p99 processing delay
 *      (received → processed, from the database's own timestamps);
 * and on PostgreSQL, as the physical reference, the raw `unnest` insert rate of the same rows.
 *
 * Usage: npm run bench:events -- [--events 200000] [--users 10000] [--rate 2000] [--seconds 15]
 *                                [--driver both|pg|pglite] [--workers 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { achievementRoutes, createEventProcessor, saveAchievements } from '../src/achievements/index.ts';
import { buildApp, listen } from '../src/api/index.ts';
import { createApiKeys } from '../src/platform/apikeys/index.ts';
import { loadConfig } from '../src/platform/config.ts';
import { createDb } from '../src/platform/db/create-db.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { createSilentLogger } from '../src/platform/logger.ts';
import { createMetrics } from '../src/platform/metrics.ts';
import { createShutdown } from '../src/platform/shutdown.ts';
import { createTestDatabase, PG_ADMIN_URL } from '../test/services.ts';
import { choice, requirePostgres, wholeNumbers } from './support.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    users: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '15' },
    driver: { type: 'string', default: 'both' },
    workers: { type: 'string', default: '2' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npm run bench:events -- [--events N] [--users N] [--rate N] [--seconds N] [--driver both|pg|pglite] [--workers N]',
  );
  process.exit(0);
}
const {
  events: N,
  users: USERS,
  rate: RATE,
  seconds: SECONDS,
  workers: WORKERS,
} = wholeNumbers('bench:events', {
  events: args.events,
  users: args.users,
  rate: args.rate,
  seconds: args.seconds,
  workers: args.workers,
});
const drivers = choice('bench:events', 'driver', args.driver, ['pglite', 'pg'] as const);

const TYPES = ['commit', 'trade', 'vote', 'login', 'post', 'review', 'stake', 'quest'] as const;

/** 50 achievements: count, sum, distinct, streak, window over the 8 types, plus composites. */
function catalogue(): unknown[] {
  const out: unknown[] = [];
  TYPES.forEach((type, i) => {
    out.push({
      id: `${type}-count-5`,
      name: `${type} ×5`,
      category: type,
      rule: { type: 'count', filter: { types: [type] }, target: 5 },
    });
    out.push({
      id: `${type}-count-25`,
      name: `${type} ×25`,
      category: type,
      rule: { type: 'count', filter: { types: [type] }, target: 25 },
    });
    out.push({
      id: `${type}-sum`,
      name: `${type} volume`,
      category: type,
      rule: { type: 'sum', filter: { types: [type] }, field: 'amount', target: 500 },
    });
    out.push({
      id: `${type}-distinct`,
      name: `${type} variety`,
      category: type,
      rule: { type: 'distinct', filter: { types: [type] }, field: 'topic', target: 4 },
    });
    out.push({
      id: `${type}-streak`,
      name: `${type} streak`,
      category: type,
      rule: {
        type: 'streak',
        filter: { types: [type] },
        period: i % 2 === 0 ? 'day' : 'week',
        timeZone: i % 3 === 0 ? 'Asia/Tokyo' : 'UTC',
        target: 3,
      },
    });
    out.push({
      id: `${type}-burst`,
      name: `${type} burst`,
      category: type,
      rule: {
        type: 'window',
        filter: { types: [type], conditions: [{ field: 'amount', op: 'gte', value: 10 }] },
        windowSeconds: 86_400,
        target: 3,
      },
    });
  });
  // 48 so far; two composites make 50.
  out.push({
    id: 'all-rounder',
    name: 'All-rounder',
    category: 'meta',
    rule: { type: 'composite', mode: 'at_least', n: 4, achievements: TYPES.map((t) => `${t}-count-5`) },
  });
  out.push({
    id: 'devoted',
    name: 'Devoted',
    category: 'meta',
    rule: { type: 'composite', mode: 'all', achievements: ['commit-count-25', 'vote-count-25'] },
  });
  return out;
}

function event(i: number, prefix: string) {
  const u = i % USERS;
  const type = TYPES[(i * 7 + u) % TYPES.length]!;
  const day = Math.floor(i / (N / 60 + 1));
  return {
    id: `${prefix}${i}`,
    type,
    source: 'app',
    user: `0x${u.toString(16).padStart(40, '0')}`,
    occurredAt: new Date(Date.UTC(2026, 0, 1) + day * 86_400_000 + (i % 86_400) * 1000).toISOString(),
    data: { amount: (i % 50) + 1, topic: `t${i % 6}` },
  };
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

interface DriverResult {
  driver: string;
  ingestPerSec: number;
  e2ePerSec: number;
  drainSeconds: number;
  unlocks: number;
  sustainedRate: number;
  p50DelayMs: number;
  p99DelayMs: number;
}

async function benchDriver(driver: 'pg' | 'pglite'): Promise<DriverResult> {
  const logger = createSilentLogger();
  const metrics = createMetrics();
  let dropPg: (() => Promise<void>) | undefined;
  let databaseUrl: string | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-bench-'));
  if (driver === 'pg') {
    // A fresh database of its own, dropped at the end (the test suites' helper).
    const created = await createTestDatabase();
    databaseUrl = created.url;
    dropPg = created.drop;
  }
  const db = await createDb({ databaseUrl, dataDir, poolMax: 10, slowQueryMs: 60_000, logger, metrics });
  try {
    await migrate(db, logger);
    await saveAchievements(db, catalogue(), { actor: 'bench', mode: 'upsert' });
    const config = loadConfig(
      {},
      { logLevel: 'fatal', rateLimitMax: 10_000_000, bodyLimitBytes: 8 * 1024 * 1024, port: 0 },
    );
    const processor = createEventProcessor({
      db,
      metrics,
      logger,
      concurrency: WORKERS,
      batchSize: 2000,
      pollIntervalMs: 50,
    });
    const apiKeys = createApiKeys({ db, logger });
    const { key } = await apiKeys.create({ name: 'bench', scopes: ['events:write'] });
    const app = await buildApp(
      {
        config,
        logger,
        metrics,
        shutdown: createShutdown({ graceMs: 1000, logger }),
        db,
        apiKeys,
        readiness: [],
      },
      {
        routes: [
          achievementRoutes({
            db,
            metrics,
            logger,
            catalogue: () => processor.catalogue(),
            labelOf: (_k, v) => v ?? 'other',
            onEventsAccepted: () => processor.wake(),
          }),
        ],
      },
    );
    const url = await listen(app, { host: '127.0.0.1', port: 0 });
    const post = async (events: unknown[]) => {
      const r = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ events }),
      });
      if (r.status !== 202) throw new Error(`POST /v1/events: ${r.status} ${await r.text()}`);
      const body = (await r.json()) as { accepted: number };
      if (body.accepted !== events.length) throw new Error(`accepted ${body.accepted} of ${events.length}`);
    };
    const pending = async () =>
      (await db.query<{ n: number }>(`select count(*)::int as n from ach_events where status = 'received'`))
        .rows[0]!.n;

    // 1. Ingest with the processor running.
    processor.start();
    const t0 = performance.now();
    let next = 0;
    const sender = async () => {
      while (next < N) {
        const from = next;
        next = Math.min(N, next + 1000);
        await post(Array.from({ length: next - from }, (_, k) => event(from + k, 'a')));
      }
    };
    await Promise.all([sender(), sender(), sender(), sender()]);
    const ingestSeconds = (performance.now() - t0) / 1000;
    process.stderr.write(`  ${driver}: ingested ${N} in ${ingestSeconds.toFixed(1)} s; draining…\n`);
    while ((await pending()) > 0) await new Promise((r) => setTimeout(r, 100));
    const drainSeconds = (performance.now() - t0) / 1000;
    const unlocks = (await db.query<{ n: number }>('select count(*)::int as n from ach_unlocks')).rows[0]!.n;

    // 2. Sustained rate, delays measured by the database.
    process.stderr.write(`  ${driver}: sustained ${RATE}/s for ${SECONDS} s…\n`);
    const perTick = Math.max(1, Math.round(RATE / 10));
    const ticks = SECONDS * 10;
    const started = performance.now();
    let sent = 0;
    // At most 16 requests in flight: when the server cannot keep up, the offered rate drops and
    // the achieved rate below says so (rather than piling up connections until they are refused).
    const inFlight = new Set<Promise<void>>();
    for (let tick = 0; tick < ticks; tick++) {
      const due = started + tick * 100;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (inFlight.size >= 16) await Promise.race(inFlight);
      const p: Promise<void> = post(
        Array.from({ length: perTick }, (_, k) => event(N + sent + k, 's')),
      ).finally(() => inFlight.delete(p));
      inFlight.add(p);
      sent += perTick;
    }
    await Promise.all(inFlight);
    const actualRate = sent / ((performance.now() - started) / 1000);
    while ((await pending()) > 0) await new Promise((r) => setTimeout(r, 100));
    const delays = (
      await db.query<{ ms: number }>(
        `select extract(epoch from (processed_at - received_at)) * 1000 as ms from ach_events where external_id like 's%' and status = 'processed'`,
      )
    ).rows
      .map((r) => Number(r.ms))
      .sort((a, b) => a - b);
    await processor.stop();
    await app.close();
    return {
      driver,
      ingestPerSec: N / ingestSeconds,
      e2ePerSec: N / drainSeconds,
      drainSeconds,
      unlocks,
      sustainedRate: actualRate,
      p50DelayMs: quantile(delays, 0.5),
      p99DelayMs: quantile(delays, 0.99),
    };
  } finally {
    await db.close();
    await dropPg?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The physical reference: the same rows straight into PostgreSQL with one unnest per 10k. */
async function rawUnnestRate(): Promise<number> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(
      `create temp table raw_events (source text, external_id text, type text, user_address text, occurred_at timestamptz, data jsonb, partition smallint)`,
    );
    const t0 = performance.now();
    for (let from = 0; from < N; from += 10_000) {
      const rows = Array.from({ length: Math.min(10_000, N - from) }, (_, k) => event(from + k, 'r'));
      await c.query(
        `insert into raw_events select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[], $7::smallint[])`,
        [
          rows.map((r) => r.source),
          rows.map((r) => r.id),
          rows.map((r) => r.type),
          rows.map((r) => r.user),
          rows.map((r) => r.occurredAt),
          rows.map((r) => JSON.stringify(r.data)),
          rows.map((_, k) => k % 16),
        ],
      );
    }
    return N / ((performance.now() - t0) / 1000);
  } finally {
    await c.end();
  }
}

await requirePostgres('bench:events', drivers);
console.log(
  `bench:events — ${N} events, ${USERS} members, 50 achievements; ${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}`,
);
const results: DriverResult[] = [];
for (const d of drivers) results.push(await benchDriver(d));
console.log('');
console.log(
  'driver  ingest ev/s  end-to-end ev/s  drain s  unlocks  sustained ev/s  p50 delay ms  p99 delay ms',
);
for (const r of results) {
  console.log(
    `${r.driver.padEnd(7)} ${r.ingestPerSec.toFixed(0).padStart(11)} ${r.e2ePerSec.toFixed(0).padStart(16)} ${r.drainSeconds.toFixed(1).padStart(8)} ${String(r.unlocks).padStart(8)} ${r.sustainedRate.toFixed(0).padStart(15)} ${r.p50DelayMs.toFixed(0).padStart(13)} ${r.p99DelayMs.toFixed(0).padStart(13)}`,
  );
}
if (drivers.includes('pg'))
  console.log(
    `\nraw PostgreSQL unnest insert of the same rows: ${(await rawUnnestRate()).toFixed(0)} rows/s`,
  );
console.log('targets (PostgreSQL, 2 cores): end-to-end ≥ 10000 ev/s; p99 delay < 2000 ms at 2000 ev/s');
