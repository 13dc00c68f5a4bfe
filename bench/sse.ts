/**
 * `npm run bench:sse` — the cost of the shared poll behind the Server-Sent Events streams
 * (src/achievements/streams): one process serves N member streams and N event streams over real
 * HTTP while unlocks and mint changes are written at a steady rate; every statement the hub sends
 * is timed.
 *
 * For each driver and each N: the feed read (one statement per tick, whatever N) and the event
 * status read (one statement per tick, N keys) — calls, p50, p99 and max in ms —, the process's CPU
 * over the run, and the push latency (write committed → event received by a client), p50 and p99.
 *
 * Usage: npm run bench:sse -- [--streams 10,300,1000] [--seconds 10] [--rate 50]
 *                                [--members 20000] [--driver both|pg|pglite]
 */
import { get, type IncomingMessage } from 'node:http';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { achievementRoutes } from '../src/achievements/index.ts';
import { buildApp, listen } from '../src/api/index.ts';
import { createApiKeys } from '../src/platform/apikeys/index.ts';
import { loadConfig } from '../src/platform/config.ts';
import { createDb, type Db } from '../src/platform/db/create-db.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { createSilentLogger } from '../src/platform/logger.ts';
import { createMetrics } from '../src/platform/metrics.ts';
import { createShutdown } from '../src/platform/shutdown.ts';
import { createTestDatabase } from '../test/services.ts';
import { choice, requirePostgres, wholeNumbers } from './support.ts';

const { values: args } = parseArgs({
  options: {
    streams: { type: 'string', default: '10,300,1000' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '50' },
    members: { type: 'string', default: '20000' },
    driver: { type: 'string', default: 'both' },
    help: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
if (args.help) {
  console.log(
    'usage: npx tsx bench/sse.ts -- [--streams 10,300,1000] [--seconds N] [--rate N] [--members N] [--driver both|pg|pglite]',
  );
  process.exit(0);
}
const BENCH = 'bench/sse';
const { seconds, rate, members } = wholeNumbers(BENCH, {
  seconds: args.seconds,
  rate: args.rate,
  members: args.members,
});
const streamCounts = args.streams.split(',').map((s) => wholeNumbers(BENCH, { streams: s }).streams);
const drivers = choice(BENCH, 'driver', args.driver, ['pglite', 'pg'] as const);
await requirePostgres(BENCH, drivers);

const address = (i: number) => `0x${i.toString(16).padStart(40, '0')}`;
const ACHIEVEMENTS = ['a1', 'a2', 'a3', 'a4', 'a5'];

function quantiles(values: number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}
const ms = (x: number) => x.toFixed(2);

/** Times the hub's statements by their prepared-statement name. */
function timedDb(db: Db, timings: Map<string, number[]>): Db {
  return {
    ...db,
    query: (async (text: string, params?: readonly unknown[], options?: { name?: string }) => {
      const t0 = performance.now();
      try {
        return await db.query(text, params, options);
      } finally {
        const name = options?.name;
        if (name) {
          const list = timings.get(name) ?? [];
          list.push(performance.now() - t0);
          timings.set(name, list);
        }
      }
    }) as Db['query'],
  };
}

function openStream(url: string, onEvent: (event: string, data: string) => void): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) onEvent(event, data);
        }
      });
      resolve(res);
    });
    request.on('error', reject);
  });
}

async function run(driver: 'pglite' | 'pg'): Promise<void> {
  const target = driver === 'pg' ? await createTestDatabase() : { url: undefined, drop: async () => {} };
  const logger = createSilentLogger();
  const metrics = createMetrics();
  const db = await createDb({
    databaseUrl: target.url,
    dataDir: 'memory://',
    poolMax: 8,
    slowQueryMs: 10_000,
    logger,
    metrics,
  });
  try {
    await migrate(db, logger);
    for (const id of ACHIEVEMENTS) {
      await db.query('insert into ach_achievements (id, current_version) values ($1, 1)', [id]);
      await db.query(
        `insert into ach_achievement_versions (achievement_id, version, definition) values ($1, 1, '{}')`,
        [id],
      );
    }
    // History: every member has unlocked two achievements, their badges minted.
    await db.query(
      `insert into ach_unlocks (user_address, achievement_id, version)
       select '0x' || lpad(to_hex(i), 40, '0'), a, 1 from generate_series(1, $1::int) i, unnest(array['a1', 'a2']) a`,
      [members],
    );
    await db.query(
      `insert into ach_mint_outbox (user_address, achievement_id, status)
       select user_address, achievement_id, 'pending' from ach_unlocks`,
    );
    await db.query(`update ach_mint_outbox set status = 'confirmed', token_id = id, tx_hash = '0x01'`);
    const apiKeys = createApiKeys({ db, logger });
    const { key } = await apiKeys.create({ name: 'bench', scopes: ['events:read'] });

    for (const n of streamCounts) {
      const timings = new Map<string, number[]>();
      const config = loadConfig({}, { instance: 'bench', logLevel: 'fatal', rateLimitMax: 1_000_000 });
      const app = await buildApp(
        {
          config,
          logger,
          metrics: createMetrics(),
          shutdown: createShutdown({ graceMs: 5000, logger }),
          db,
          apiKeys,
          readiness: [],
          redis: undefined,
        },
        {
          routes: [
            achievementRoutes({
              db: timedDb(db, timings),
              metrics: createMetrics(),
              logger,
              catalogue: async () => {
                throw new Error('not used');
              },
              labelOf: () => 'other',
              streams: {
                maxStreams: 2 * n + 10,
                maxLifetimeMs: 3_600_000,
                unknownEventWaitMs: 3_600_000,
              },
            }),
          ],
        },
      );
      const url = await listen(app, { host: '127.0.0.1', port: 0 });
      // N member streams (members 1..N, the writes below touch them) and N event streams of
      // events never sent (each stays open, its key read on every tick).
      const sentAt = new Map<string, number>();
      const latencies: number[] = [];
      const responses: IncomingMessage[] = [];
      for (let i = 1; i <= n; i++) {
        responses.push(
          await openStream(`${url}/v1/users/${address(i)}/achievements/stream`, (event, data) => {
            if (event !== 'unlocked' && event !== 'mint') return;
            const { achievementId, mintStatus } = JSON.parse(data) as {
              achievementId: string;
              mintStatus: string;
            };
            const at = sentAt.get(
              `${address(i)}/${achievementId}/${event === 'unlocked' ? 'pending' : mintStatus}`,
            );
            if (at !== undefined) latencies.push(performance.now() - at);
          }),
        );
        responses.push(
          await new Promise<IncomingMessage>((resolve, reject) => {
            get(
              `${url}/v1/events/never-${i}/stream?source=bench`,
              { agent: false, headers: { authorization: `Bearer ${key}` } },
              resolve,
            ).on('error', reject);
          }),
        );
      }
      // Let the tick reach its steady state.
      await new Promise((r) => setTimeout(r, 1000));
      timings.clear();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      // Writes: `rate` per second, alternating an unlock (of a watched member when possible) and
      // the mint of an earlier one moving to submitted.
      let written = 0;
      const unlocked: [string, string][] = [];
      while (performance.now() - t0 < seconds * 1000) {
        const due = Math.floor(((performance.now() - t0) / 1000) * rate);
        for (; written < due; written++) {
          const member = address(1 + (written % Math.max(n, 1)));
          const achievement = ACHIEVEMENTS[2 + (Math.floor(written / Math.max(n, 1)) % 3)]!;
          if (written % 2 === 0 || unlocked.length === 0) {
            const k = `${member}/${achievement}/pending`;
            const r = await db.transaction(async (tx) => {
              const ins = await tx.query(
                `insert into ach_unlocks (user_address, achievement_id, version) values ($1, $2, 1) on conflict do nothing`,
                [member, achievement],
              );
              if (ins.rowCount === 1)
                await tx.query(`insert into ach_mint_outbox (user_address, achievement_id) values ($1, $2)`, [
                  member,
                  achievement,
                ]);
              return ins.rowCount;
            });
            if (r === 1) {
              sentAt.set(k, performance.now());
              unlocked.push([member, achievement]);
            }
          } else {
            const [member2, achievement2] = unlocked.shift()!;
            sentAt.set(`${member2}/${achievement2}/submitted`, performance.now());
            await db.query(
              `update ach_mint_outbox set status = 'submitted', tx_hash = '0x02' where user_address = $1 and achievement_id = $2`,
              [member2, achievement2],
            );
          }
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 1000));
      const cpu = process.cpuUsage(cpu0);
      const wall = (performance.now() - t0) / 1000;
      const feed = quantiles(timings.get('ach_feed_all') ?? []);
      const events = quantiles(timings.get('ach_event_statuses') ?? []);
      const push = quantiles(latencies);
      console.log(
        `${driver.padEnd(6)} streams ${String(n).padStart(5)} member + ${String(n).padStart(5)} event | ` +
          `feed read: ${feed.n} calls p50 ${ms(feed.p50)} p99 ${ms(feed.p99)} max ${ms(feed.max)} ms | ` +
          `event read (${n} keys): p50 ${ms(events.p50)} p99 ${ms(events.p99)} ms | ` +
          `process CPU ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(1)} % of a core (writes included) | ` +
          `push latency (${push.n}): p50 ${ms(push.p50)} p99 ${ms(push.p99)} ms`,
      );
      for (const r of responses) r.destroy();
      await app.close();
      await db.query(
        'delete from ach_mint_outbox where achievement_id in ($1, $2, $3)',
        ACHIEVEMENTS.slice(2),
      );
      await db.query('delete from ach_unlocks where achievement_id in ($1, $2, $3)', ACHIEVEMENTS.slice(2));
    }
  } finally {
    await db.close();
    await target.drop();
  }
}

console.log(
  `bench/sse: ${cpus().length} cores, ${members} members with 2 unlocks each, ${rate} writes/s for ${seconds} s, poll every 500 ms`,
);
for (const driver of drivers) await run(driver);
