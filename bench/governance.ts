/**
 * `npm run bench:governance` — governance hot paths, on PGlite and on PostgreSQL.
 *
 * For each driver, on a fresh database:
 *   1. ballots: V members (one badge each) cast pre-signed EIP-712 ballots on one active proposal
 *      through `castVote` (signature recovery + voting power at the snapshot + the write), C in
 *      flight, with signature recovery in the event loop and in a worker pool → ballots/s; then V
 *      more over HTTP (`POST /v1/proposals/:id/votes` on the real app, C keep-alive connections
 *      from a node:http client in this same process: its CPU counts against the server's);
 *   2. voting power of holders of 1, 100 and 1,000 badges (among ~20k other badges), uncached
 *      (straight from the database) and cached (in-process L1 hit) → p50/p99 ms;
 *   3. tally: 100,000 current votes on one proposal, the live tally recomputed → p50/p99 ms, and
 *      the voting power of all 100,000 voters recomputed in bulk (what `cb governance verify` does
 *      besides checking signatures).
 * Targets (2 cores): uncached power for 1,000 badges p99 < 20 ms, cached p99 < 1 ms, ≥ 1,000 ballots/s.
 *
 * Usage: npm run bench:governance -- [--voters 4000] [--concurrency 32] [--tally 100000]
 *                                     [--driver both|pg|pglite] [--workers N]
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { keccak256, stringToBytes } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createEventProcessor, saveAchievements } from '../src/achievements/index.ts';
import { buildApp } from '../src/api/index.ts';
import {
  castVote,
  computePowersAt,
  createGovernance,
  createProposal,
  readParameters,
  SUPPORT_CODES,
  typedPayload,
} from '../src/governance/index.ts';
import { computeTally } from '../src/governance/tally.ts';
import { createApiKeys } from '../src/platform/apikeys/index.ts';
import { type Cache, createCache } from '../src/platform/cache/index.ts';
import type { Common } from '../src/platform/common.ts';
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
    voters: { type: 'string', default: '4000' },
    concurrency: { type: 'string', default: '32' },
    tally: { type: 'string', default: '100000' },
    driver: { type: 'string', default: 'both' },
    workers: { type: 'string', default: String(availableParallelism()) },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npm run bench:governance -- [--voters N] [--concurrency N] [--tally N] [--driver both|pg|pglite] [--workers N]',
  );
  process.exit(0);
}
const {
  voters: VOTERS,
  concurrency: CONCURRENCY,
  tally: TALLY,
} = wholeNumbers('bench:governance', {
  voters: args.voters,
  concurrency: args.concurrency,
  tally: args.tally,
});
const { workers: WORKERS } = wholeNumbers('bench:governance', { workers: args.workers }, 0);
const drivers = choice('bench:governance', 'driver', args.driver, ['pglite', 'pg'] as const);
await requirePostgres('bench:governance', drivers);
const CHAIN_ID = 31337;
const SNAPSHOT = 1000n;
const achievementKey = (slug: string) => BigInt(keccak256(stringToBytes(slug)).slice(0, 18));
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99) };
};
const addr = (i: number, prefix: string) => `0x${prefix}${i.toString(16).padStart(40 - prefix.length, '0')}`;

async function openDb(
  driver: 'pg' | 'pglite',
  common: Common,
): Promise<{ db: Db; drop: () => Promise<void> }> {
  let databaseUrl: string | undefined;
  let drop = async () => {};
  if (driver === 'pg') {
    // A fresh database of its own, dropped at the end (the test suites' helper).
    const created = await createTestDatabase();
    databaseUrl = created.url;
    drop = created.drop;
  }
  const db = await createDb({
    databaseUrl,
    dataDir: 'memory://',
    poolMax: 16,
    slowQueryMs: 60_000,
    logger: common.logger,
    metrics: common.metrics,
  });
  await migrate(db, common.logger);
  return { db, drop };
}

/** Badges: `owners[i]` gets `counts[i]` badges of `slug`, all from block 1, in one statement. */
async function grant(
  db: Db,
  owners: string[],
  counts: number[],
  slug: string,
  firstToken: bigint,
): Promise<bigint> {
  const tokens: string[] = [];
  const holders: string[] = [];
  let next = firstToken;
  owners.forEach((o, i) => {
    for (let k = 0; k < counts[i]!; k++) {
      tokens.push((next++).toString());
      holders.push(o);
    }
  });
  for (let i = 0; i < tokens.length; i += 50_000) {
    const t = tokens.slice(i, i + 50_000);
    const h = holders.slice(i, i + 50_000);
    await db.query(
      `insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx)
       select unnest($1::numeric[]), $3, unnest($2::text[]), 1, '0x00'`,
      [t, h, achievementKey(slug).toString()],
    );
    await db.query(
      `insert into badge_ownership (token_id, owner, from_block, tx_hash, log_index)
       select unnest($1::numeric[]), unnest($2::text[]), 1, '0x00', 0`,
      [t, h],
    );
  }
  return next;
}

/** A POST over a keep-alive agent (node:http: far lighter on the CPU than fetch). */
function post(agent: Agent, url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU seconds used so far by the PostgreSQL backends serving `db` (Linux /proc; 0 elsewhere or on PGlite). */
async function backendCpuSeconds(db: Db, pids: Set<number>): Promise<number> {
  if (db.driver !== 'pg') return 0;
  const { rows } = await db.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = current_database()',
  );
  for (const r of rows) pids.add(r.pid);
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
    } catch {
      // the backend exited
    }
  }
  return ticks / 100; // USER_HZ
}

interface Result {
  driver: string;
  ballotsPerSecInThread: number;
  ballotsPerSecPool: number;
  ballotsPerSecHttp: number;
  /** CPU milliseconds per ballot: this process (all threads) + the database backends. */
  cpuMsPerBallot: { node: number; postgres: number };
  power: Record<string, { uncached: { p50: number; p99: number }; cached: { p50: number; p99: number } }>;
  tally: { p50: number; p99: number };
  bulkPowerMs: number;
}

async function benchDriver(driver: 'pg' | 'pglite'): Promise<Result> {
  const logger = createSilentLogger();
  const config = loadConfig({}, { logLevel: 'fatal', cacheMaxEntries: 200_000, rateLimitMax: 1_000_000 });
  const common: Common = {
    config,
    logger,
    metrics: createMetrics(),
    shutdown: createShutdown({ graceMs: 1000, logger }),
  };
  const { db, drop } = await openDb(driver, common);
  const opened: Cache[] = [];
  try {
    await saveAchievements(
      db,
      ['a', 'b', 'c'].map((id, i) => ({
        id: `bench-${id}`,
        name: id,
        category: 'bench',
        weight: i + 1,
        rule: { type: 'count', filter: { types: [id] }, target: 1 },
      })),
      { actor: 'bench', mode: 'upsert' },
    );
    const processor = createEventProcessor({ db, metrics: common.metrics, logger });
    const blocks = { latestIndexed: async () => SNAPSHOT + 2n, latestConfirmed: async () => SNAPSHOT };
    // A cache each (memory only): a namespace is declared once per cache.
    const make = (workers: number) =>
      createGovernance({
        common,
        db,
        cache: opened[opened.push(createCache({ common, redisUrl: undefined })) - 1]!,
        catalogue: () => processor.catalogue(),
        achievementKey,
        chainId: CHAIN_ID,
        blocks,
        options: { signatureWorkers: workers, defaults: { votingDelaySeconds: 0 } },
      });

    // Data: the voters (1 badge each), background holders (~20k badges), the 1/100/1000 holders.
    const voters = Array.from({ length: 3 * VOTERS }, () => privateKeyToAccount(generatePrivateKey()));
    let token = await grant(
      db,
      voters.map((v) => v.address.toLowerCase()),
      voters.map(() => 1),
      'bench-a',
      1n,
    );
    const background = Array.from({ length: 5000 }, (_, i) => addr(i, 'bb'));
    token = await grant(
      db,
      background,
      background.map((_, i) => 1 + (i % 7)),
      'bench-b',
      token,
    );
    const holders = { '1': addr(1, 'aa'), '100': addr(100, 'aa'), '1000': addr(1000, 'aa') };
    token = await grant(db, Object.values(holders), [1, 100, 1000], 'bench-c', token);
    await db.query('analyze');

    // 1. Ballots per second, recovery in the event loop, then in the worker pool.
    const rates: number[] = [];
    let cpuMsPerBallot = { node: 0, postgres: 0 };
    const pids = new Set<number>();
    const rounds = [
      { workers: 0, http: false },
      { workers: WORKERS, http: false },
      { workers: 0, http: true },
    ];
    for (const [round, { workers, http }] of rounds.entries()) {
      const governance = make(workers);
      const ctx = governance.context;
      const { proposal } = await createProposal(ctx, {
        by: 'admin',
        keyName: 'bench',
        fields: {
          title: `bench ${round}`,
          body: '',
          type: 'signal',
          actions: [],
          settings: { votingPeriodSeconds: 86_400 },
        },
      });
      const mine = voters.slice(round * VOTERS, (round + 1) * VOTERS);
      const ballots = await Promise.all(
        mine.map(async (account, i) => {
          const support = (['for', 'against', 'abstain'] as const)[i % 3]!;
          const message = {
            proposalId: BigInt(proposal.id),
            voter: account.address,
            support: SUPPORT_CODES[support],
            reason: 'bench',
            nonce: 1n,
          };
          const signature = await account.signTypedData(typedPayload(CHAIN_ID, 'Ballot', message) as never);
          return { voter: account.address, support, reason: 'bench', nonce: '1', signature };
        }),
      );
      const app = http
        ? await buildApp(
            { ...common, db, apiKeys: createApiKeys({ db, logger }), readiness: [] },
            { routes: [governance.routes()] },
          )
        : undefined;
      const url = app
        ? `${await app.listen({ host: '127.0.0.1', port: 0 })}/v1/proposals/${proposal.id}/votes`
        : '';
      const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      const cast = app
        ? async (b: (typeof ballots)[number]) => {
            const { status, body } = await post(agent, url, JSON.stringify(b));
            if (status !== 201) throw new Error(`ballot refused: ${status} ${body}`);
            return JSON.parse(body) as { replayed?: boolean };
          }
        : (b: (typeof ballots)[number]) => castVote(ctx, proposal.id, b);
      let next = 0;
      const pg0 = await backendCpuSeconds(db, pids);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < ballots.length) {
            const r = await cast(ballots[next++]!);
            if (r.replayed) throw new Error('unexpected replay');
          }
        }),
      );
      rates.push(ballots.length / ((performance.now() - t0) / 1000));
      agent.destroy();
      await app?.close();
      const cpu = process.cpuUsage(cpu0);
      const pgCpu = (await backendCpuSeconds(db, pids)) - pg0;
      if (round === 0)
        cpuMsPerBallot = {
          node: (cpu.user + cpu.system) / 1000 / ballots.length,
          postgres: (pgCpu * 1000) / ballots.length,
        };
      await governance.close();
    }

    // 2. Voting power, uncached and cached.
    const governance = make(0);
    const ctx = governance.context;
    const weights = await ctx.weights.current(await readParameters(db, ctx.defaults));
    const power: Result['power'] = {};
    for (const [n, address] of Object.entries(holders)) {
      const uncached: number[] = [];
      const cached: number[] = [];
      for (let i = 0; i < 300; i++) {
        const t0 = performance.now();
        const p = await ctx.power.fresh(address, SNAPSHOT, weights);
        uncached.push(performance.now() - t0);
        if (p.badges.length !== Number(n)) throw new Error(`holder of ${n} has ${p.badges.length} badges`);
      }
      await ctx.power.at(address, SNAPSHOT, weights);
      for (let i = 0; i < 5000; i++) {
        const t0 = performance.now();
        await ctx.power.at(address, SNAPSHOT, weights);
        cached.push(performance.now() - t0);
      }
      power[n] = { uncached: stats(uncached), cached: stats(cached) };
    }

    // 3. Tally over TALLY current votes.
    const { proposal } = await createProposal(ctx, {
      by: 'admin',
      keyName: 'bench',
      fields: { title: 'tally', body: '', type: 'signal', actions: [], settings: {} },
    });
    await db.query(
      `insert into gov_ballots (proposal_id, voter, support, reason, nonce, signature, signer_kind, weight, received_at)
       select $1, '0xdd' || lpad(to_hex(i), 38, '0'), (array['for','against','abstain'])[1 + i % 3], '', 1, '0x', 'eoa', 1000000 * (1 + i % 5), now()
         from generate_series(1, $2) i`,
      [proposal.id, TALLY],
    );
    await db.query(
      `insert into gov_votes (proposal_id, voter, ballot_id, support, weight, nonce, updated_at)
       select proposal_id, voter, id, support, weight, nonce, received_at from gov_ballots where proposal_id = $1`,
      [proposal.id],
    );
    await db.query('analyze');
    const tallyMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const t = await computeTally(db, proposal.id);
      tallyMs.push(performance.now() - t0);
      if (t.voters !== TALLY) throw new Error(`tally counted ${t.voters} voters`);
    }
    const votersOfTally = (
      await db.query<{ voter: string }>('select voter from gov_votes where proposal_id = $1', [proposal.id])
    ).rows.map((r) => r.voter);
    const t0 = performance.now();
    await computePowersAt(db, votersOfTally, SNAPSHOT, weights);
    const bulkPowerMs = performance.now() - t0;
    await governance.close();
    void token;
    return {
      driver,
      ballotsPerSecInThread: rates[0]!,
      ballotsPerSecPool: rates[1]!,
      ballotsPerSecHttp: rates[2]!,
      cpuMsPerBallot,
      power,
      tally: stats(tallyMs),
      bulkPowerMs,
    };
  } finally {
    for (const c of opened) await c.close();
    await db.close();
    await drop();
  }
}

console.log(
  `bench:governance — ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}`,
);
console.log(
  `voters ${VOTERS} per round, ${CONCURRENCY} in flight, ${WORKERS} signature workers, tally of ${TALLY} votes\n`,
);
const f = (n: number) => n.toFixed(n < 1 ? 3 : n < 10 ? 2 : 1);
for (const driver of drivers) {
  process.stderr.write(`running on ${driver}…\n`);
  const r = await benchDriver(driver);
  console.log(
    `── ${driver} ── (load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  );
  console.log(
    `ballots accepted/s (verify + power + write): ${r.ballotsPerSecInThread.toFixed(0)} in-thread, ${r.ballotsPerSecPool.toFixed(0)} with ${WORKERS} workers, ${r.ballotsPerSecHttp.toFixed(0)} over HTTP   (target ≥ 1000)`,
  );
  const cpuMs = r.cpuMsPerBallot.node + r.cpuMsPerBallot.postgres;
  console.log(
    `   CPU per ballot: ${f(r.cpuMsPerBallot.node)} ms node${driver === 'pg' ? ` + ${f(r.cpuMsPerBallot.postgres)} ms postgres` : ''} → at most ${((cpus().length * 1000) / cpuMs).toFixed(0)} ballots/s on ${cpus().length} idle cores`,
  );
  for (const [n, p] of Object.entries(r.power))
    console.log(
      `voting power, ${n.padStart(4)} badge(s): uncached p50 ${f(p.uncached.p50)} ms p99 ${f(p.uncached.p99)} ms · cached p50 ${f(p.cached.p50)} ms p99 ${f(p.cached.p99)} ms`,
    );
  console.log('   (targets: uncached 1000 badges p99 < 20 ms; cached p99 < 1 ms)');
  console.log(
    `tally of ${TALLY} votes: p50 ${f(r.tally.p50)} ms, p99 ${f(r.tally.p99)} ms; bulk power of all voters ${f(r.bulkPowerMs)} ms\n`,
  );
}
