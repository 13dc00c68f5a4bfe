/**
 * `npm run bench:chain` — the chain listener's backfill: badge events from a local hardhat node into
 * the database (ownership history, tokens, events, and the achievement intake), in decoded events/s,
 * next to the raw `eth_getLogs` read rate of the same node over the same range, same chunks and
 * concurrency (the ceiling: what the node serves when nothing is decoded or written).
 *
 *   1. setup: a `hardhat node` (child process) with AchievementBadge deployed, N badges minted by
 *      `mintBatch` of 250 — or, with --rpc-url/--badge (e.g. a `cb chain dev` node), that chain,
 *      topped up to N badges, so a second run reuses the first one's mints;
 *   2. raw: eth_getLogs (topics BadgeMinted|BadgeRevoked) over [deployment, head], JSON parsed,
 *      nothing else;
 *   3. backfill: a fresh database (PGlite in memory, or a fresh PostgreSQL database with
 *      --driver pg), `createListener(...).syncOnce()` with confirmations 0: every event decoded,
 *      applied (one transaction per chunk) and posted to the intake (one finalize transaction per
 *      chunk, through the intake's bulk path `ingestTrustedEvents`).
 *
 * Target: backfill ≥ 50 % of the raw rate. Not met on the 2-core development machine. Figures of
 * 2026-11-26 (50,000 events, chunks of 20 blocks, 4 in flight; the machine shared with other
 * engineers' runs, load average 2–5, so raw alone moved between 43k and 85k logs/s), ranges over
 * 3 interleaved runs each; "before" is 63893b3 (the listener before this work):
 *
 *   |                              | before                | after                 |
 *   | backfill → PostgreSQL        | 14.4k–17.5k (22–24 %) | 15.4k–24.4k (23–40 %) |
 *   | backfill → PGlite            | 7.9k–8.9k (12–13 %)   | 9.9k–10.7k (14–17 %)  |
 *   | PostgreSQL, --no-ingest (¹)  | 23.0k–26.8k (38–39 %) | 25.2k–25.3k (39–56 %) |
 *   (¹) 2 runs each; "before" here is 9dd904d, without the pool/prepared-statement change.
 *
 * Later (61fe6ee, the intake's plain insert with an on-conflict fallback): 4 alternating runs each,
 * the machine shared with another engineer's benchmark holding one core (load 2.3–3.7): PostgreSQL
 * 15.9k–16.5k (35–40 %) → 14.6k–18.2k (34–41 %) — within the noise in wall time, but the PostgreSQL
 * backends' CPU went from 1.55–1.63 s to 1.42–1.50 s; PGlite 7.6k–8.0k (16–19 %) → 8.0k–8.5k
 * (18–19 %). On a quiet machine (load ≤ 1.1) the same chain gave PostgreSQL 22.0k–24.0k (29–36 %
 * of a raw 60k–75k).
 *
 * Why ≥ 50 % is out of reach on 2 cores (CPU of PostgreSQL runs, from /proc): the raw read is
 * hardhat-bound — ~0.75 CPU-s of hardhat for ~0.7 s wall. The backfill costs hardhat 0.8–0.9 s
 * (the header reads add only ~0.1 s), node 1.0–1.3 s (its own read and JSON parse ~0.4 s; decoding,
 * array parameters, GC, the pg protocol), PostgreSQL 1.4–1.6 s: 3.3–3.7 CPU-s, so ≥ 1.7 s on 2 cores
 * even packed perfectly — at most ~40 % of raw. 50 % means ≤ ~1.4 s, ≤ ~2.7 CPU-s: node and
 * PostgreSQL together ~0.8 s cheaper. PostgreSQL's share, measured statement by statement (psql,
 * 50,000 rows in fresh tables): chain_events ~160 ms, badge_tokens ~190 ms, badge_ownership ~315 ms
 * (half of it the (owner, from_block) index), ach_events ~550 ms plain / ~700 ms with on conflict
 * (~170 ms without its four indexes). A "C" collation on ach_events (source, external_id) saved
 * ~60 ms of those 550–700 ms: within the noise, not worth a migration.
 *
 * Tried and not kept: posting a range to the intake from its own apply statement (one transaction
 * per range instead of two, the intake rows built in SQL from the apply's rows): node CPU −0.15 s,
 * PostgreSQL wall −3 %, PGlite +3 % — the intake insert then sits on the ordered apply path. Fewer
 * finalize transactions queued ahead of applying (FINALIZES_PENDING 0 or 1 instead of 2): −1.5 to −6 %
 * under load, not clear of the noise. Also: the headers the backfill needs (block times) queue in
 * hardhat behind the big eth_getLogs answers, so the first chunk is applied only after ~0.4 s.
 *
 * 2026-11-26, later (a slower, noisier 2-core machine: raw alone 28k–44k logs/s; the per-process
 * CPU the report now prints shows the backfill CPU-bound, both cores ~90 % busy): the listener's
 * fresh ranges and their intake rows are COPYed in (apply-events.ts, ingest-trusted.ts) instead of
 * `insert … select from unnest(array literals)`. Per statement group, 50,000 synthetic events into
 * fresh tables, one backend's CPU: apply 1.75 s → 1.23 s (chain_events 0.38, badge_tokens 0.30,
 * badge_ownership 0.56 — the array parsing alone was 0.36 s), intake 1.30 s → 1.10 s (its four
 * indexes are ~0.85 s of that: pk 0.3, (user, type, seq) 0.3, (source, external_id) 0.2, pending
 * 0.14). But COPY text is ~2.5× the bytes of the array literals (hashes and JSON per table), so
 * node builds and sends more: +0.25 s apply, +0.1 s intake in isolation. End to end, 4 alternating
 * runs each on PostgreSQL: unnest 8.9k–9.9k events/s (27–34 % of raw), CPU-s database 4.2–4.7,
 * node 2.7–3.1, hardhat 1.8–2.1; COPY 9.3k–10.5k (32–34 %), database 2.9–3.2, node 3.5–3.7,
 * hardhat 1.7–2.1 — about 0.8 CPU-s less in all. PGlite: same within the noise (14–18 %).
 *
 * 2026-11-27 (a 2-core Intel Xeon, shared: raw alone 46k–69k logs/s from run to run). Raw reads and
 * the listener now go through the RPC pool over HTTP, as `cb start` with RPC_URLS does, and a
 * range's header reads (hardhat sends no blockTimestamp with its logs: ~200 eth_getBlockByNumber
 * for 50,000 events) go out as JSON-RPC batches, one or two requests per range instead of one per
 * block (connect-endpoint.ts). On an idle hardhat, 201 single header reads at 4 in flight took
 * 590–660 ms, the same in 11 batches 66–109 ms. Backfill → PostgreSQL, 3 alternating runs each,
 * before (bb6dc59^) → after: 19.4k–23.5k events/s (33–35 % of raw) → 21.3k–26.3k (35–40 %); CPU-s
 * hardhat 0.78–0.94 → 0.69–0.93, this process 1.49–1.65 → 1.25–1.45, database unchanged
 * (1.23–1.77). Twelve later runs: 19.8k–28.6k events/s, 29–44 % of raw (median ~37 %); the same
 * CPU split (database 1.2–1.8, hardhat 0.7–1.0, node 1.0–1.8): 3.2–4.4 CPU-s for a raw read's
 * 0.75 s, so 50 % would need both cores fully busy and ~0.6 CPU-s less. PGlite: 12.0k (17 %).
 * Not kept: dropping badge_tokens' owner index (no query uses it) — no difference within the noise
 * over 3 alternating pairs. Node's --max-semi-space-size=64 (NODE_OPTIONS) halves this process's GC
 * (0.62 → 0.23 s in a profile) and its CPU by ~10 %, but the throughput moved within the noise.
 *
 * 2026-11-27, later (same kind of machine; raw 58k–74k logs/s): 30–41 % of raw over 9 runs. Where the
 * wall time goes, from a timeline of one run (each range's apply and finalize, start and end; CPU of
 * each process every 50 ms): for the first ~0.8 s hardhat (serving all 11 ranges, read 8 ahead) and
 * this process (parsing them) hold both cores; the first range is applied from 0.27 s, but
 * PostgreSQL gets ≤ 40 % of a core meanwhile. For the last ~1 s PostgreSQL runs 1–1.5 cores (an
 * apply and a finalize at once) and this process 0.5–0.9. Both cores are busy from start to end,
 * so more overlap cannot help, only less CPU: 50 % needs the whole backfill to cost at most twice
 * the raw read's CPU (here 1.25 CPU-s: the raw read alone keeps both cores ~90 % busy), against
 * 2.9–3.4 CPU-s measured. Chunks of 5, 10 or 40 blocks instead of 20: 32–41 %, within the noise.
 * --max-semi-space-size=64 again: this process's scavenges 323 → 103 ms and its CPU 1.71 → 1.51 s,
 * the throughput the same (31 % both).
 *
 * 2026-11-27, a fresh checkout on the same kind of machine, nothing changed in the listener: six warm
 * runs 24.9k–30.9k events/s = 33–37 % of raw (raw 71k–92k logs/s), CPU-s database 0.98–1.18, hardhat
 * 0.61–0.72, this process 1.10–1.44 (2.7–3.3 in all) against the raw read's 0.87–1.28: 50 % would
 * need the whole backfill within ~2.0–2.5 CPU-s on 2 cores.
 *
 * 2026-11-27, another fresh checkout of the same kind (raw 95k–116k logs/s), listener unchanged:
 * 29–34 % of raw over 5 runs (31.6k–33.6k events/s), CPU-s database 0.89–0.95, hardhat 0.46–0.57,
 * this process 0.98–1.17. With --no-ingest (no posting to the achievement intake) 46–47 % (49k–50k
 * events/s; database 0.45–0.48, this process 0.67–0.79): the intake rows are half the database's work
 * and ~0.3 CPU-s of this process's, and even without them the backfill is just under 50 %.
 *
 * 2026-11-27, a slower fresh checkout (2-core AMD EPYC; raw 36k–43k logs/s), listener unchanged:
 * 32, 38 and 36 % of raw over 3 runs (11.6k–16.2k events/s; CPU-s database 2.1–2.9, hardhat
 * 1.2–1.7, this process 1.9–2.5); --no-ingest 52 % (21.8k events/s; database 1.22, this process 1.49).
 *
 * 2026-11-28, a fresh checkout (2-core AMD EPYC, quiet: load ~1; raw 84k–98k logs/s), listener
 * unchanged: 30, 33 and 33 % of raw over 3 runs (25.1k–32.0k events/s; CPU-s database 0.91–1.42,
 * hardhat 0.60–0.72, this process 0.97–1.08).
 *
 * 2026-11-28, later (another fresh 2-core AMD EPYC, slower: raw 53k–58k logs/s), listener unchanged:
 * 33, 39 and 36 % of raw over 3 runs (18.6k–21.0k events/s; CPU-s database 1.56–2.10, hardhat
 * 0.91–0.98, this process 1.39–1.55).
 *
 * 2026-11-28, a third fresh 2-core AMD EPYC (slower again: raw 33k–36k logs/s; quiet, load ~1.5–2),
 * listener unchanged: 43, 42, 40 and 38 % of raw over 4 runs (13.4k–15.5k events/s; CPU-s database
 * 1.95–2.15, hardhat 1.72–2.05, this process 1.79–2.48); --no-ingest 50 and 52 % (21.0k–21.3k
 * events/s against 41k–42k raw; database 1.06–1.08, this process 1.62–1.65).
 *
 * 2026-11-28, a fourth fresh 2-core AMD EPYC (raw 34k–45k logs/s; quiet), listener unchanged: 45, 45,
 * 38 and 38 % of raw over 4 runs (15.7k–16.7k events/s; CPU-s database 1.81–1.92, hardhat 1.37–1.77,
 * this process 1.74–2.11). With --max-semi-space-size=64: 42, 39 and 40 %, the same. A timeline (CPU
 * of each process every 50 ms) of a 3.0 s backfill: for the first ~1.6 s hardhat (0.8–1.1 cores)
 * and this process share both cores and PostgreSQL gets 0–0.65 of one; for the last ~1.3 s hardhat
 * is done and PostgreSQL runs about one core (applies and finalizes rarely overlap) while this
 * process waits — so even a finalize that kept pace with its apply would save at most ~0.4 s, short
 * of the ~0.6 s that 50 % needs here. A CPU profile of this process over the backfill: 1.55 s busy,
 * of which garbage collection 0.57 s, building the COPY text 0.43 s, socket writes 0.17 s.
 *
 * Usage: npm run bench:chain -- [--events 50000] [--driver pglite|pg|both] [--chunk-blocks 20]
 *                               [--concurrency 4] [--no-ingest] [--rpc-url URL --badge 0x…] [--json]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type Address, createPublicClient, getAddress, type Hex, http, type Transport } from 'viem';
import { createEventProcessor } from '../src/achievements/index.ts';
import { achievementBadgeAbi } from '../src/chain/abi/AchievementBadge.ts';
import { achievementTokenId } from '../src/chain/contracts/achievement-token-id.ts';
import { type DevChain, deployBadge, startDevChain } from '../src/chain/dev-chain.ts';
import { BADGE_TOPICS, createChainRpc, createListener } from '../src/chain/listener/index.ts';
import { memberAddresses, mintBadges } from '../src/chain/listener/test-support.ts';
import { createRpcPool, type RpcPool } from '../src/chain/rpc/index.ts';
import { loadConfig } from '../src/platform/config.ts';
import { createDb } from '../src/platform/db/create-db.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { createSilentLogger } from '../src/platform/logger.ts';
import { createMetrics } from '../src/platform/metrics.ts';
import { createShutdown } from '../src/platform/shutdown.ts';
import { createTestDatabase } from '../test/services.ts';
import { type CpuRoles, choice, cpuBetween, requirePostgres, sampleCpu, wholeNumbers } from './support.ts';

/** Hardhat's dev minter (account #1): holds MINTER_ROLE on a badge deployed by `cb chain dev`. */
const DEV_MINTER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' as Hex;

export interface BackfillBenchOptions {
  /** Badge events wanted on the chain. @defaultValue 50000 */
  events?: number | undefined;
  /** Database(s) to write to. @defaultValue 'pglite' */
  drivers?: readonly ('pglite' | 'pg')[] | undefined;
  /** Blocks per eth_getLogs (raw and listener alike). @defaultValue 20 (5000 events, ~3.5 MB) */
  chunkBlocks?: number | undefined;
  /** Requests in flight (raw and listener alike). @defaultValue 4 */
  concurrency?: number | undefined;
  /** Post every event to the achievement intake too. @defaultValue true */
  ingest?: boolean | undefined;
  /** Reuse this chain (a `cb chain dev` node) instead of starting one. */
  rpcUrl?: string | undefined;
  /** The badge on `rpcUrl`. */
  badgeAddress?: Address | undefined;
  /** Progress lines. */
  log?: ((line: string) => void) | undefined;
}

export interface BackfillDriverResult {
  driver: 'pglite' | 'pg';
  ms: number;
  eventsPerSecond: number;
  ranges: number;
  /** eventsPerSecond ÷ raw logsPerSecond. */
  ratioToRaw: number;
  /** CPU seconds during the backfill by process: `self` (this one), `database`, `chain node` (Linux). */
  cpu: Record<string, number>;
}

export interface BackfillBenchResult {
  events: number;
  fromBlock: bigint;
  toBlock: bigint;
  chunkBlocks: number;
  concurrency: number;
  ingest: boolean;
  setup: { ms: number; minted: number; reusedChain: boolean };
  /** Mean of a read before and one after the backfills. */
  raw: { ms: number; logsPerSecond: number; before: number; after: number; cpu: Record<string, number> };
  backfill: BackfillDriverResult[];
}

export async function runBackfillBench(options: BackfillBenchOptions = {}): Promise<BackfillBenchResult> {
  const events = options.events ?? 50_000;
  const chunkBlocks = options.chunkBlocks ?? 20;
  const concurrency = options.concurrency ?? 4;
  const ingest = options.ingest ?? true;
  const drivers = options.drivers ?? ['pglite'];
  const log = options.log ?? (() => {});

  // 1. The chain.
  const setupStart = performance.now();
  let devChain: DevChain | undefined;
  let pool: RpcPool | undefined;
  let rpcUrl: string;
  let transport: Transport;
  let badge: Address;
  let fromBlock: bigint;
  let minterKey: Hex;
  if (options.rpcUrl) {
    if (!options.badgeAddress) throw new Error('--rpc-url needs --badge');
    rpcUrl = options.rpcUrl;
    transport = http(rpcUrl, { retryCount: 0, timeout: 60_000 });
    badge = getAddress(options.badgeAddress);
    fromBlock = 0n;
    minterKey = DEV_MINTER_KEY;
  } else {
    devChain = await startDevChain({ mode: 'node', port: 0 });
    rpcUrl = devChain.rpcUrl!;
    transport = http(rpcUrl, { retryCount: 0, timeout: 60_000 });
    const deployed = await deployBadge({
      transport,
      chain: devChain.chain,
      deployer: devChain.deployer,
      admin: devChain.admin.address,
      minter: devChain.minter.address,
      baseUri: 'http://127.0.0.1:3000/v1/badges/',
    });
    badge = deployed.address;
    fromBlock = deployed.blockNumber;
    minterKey = devChain.minter.privateKey;
  }
  try {
    const client = createPublicClient({ transport });
    const chainId = await client.getChainId();
    const chain = {
      id: chainId,
      name: 'bench',
      nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [] } },
    } as const;
    const existing =
      (await client.readContract({ address: badge, abi: achievementBadgeAbi, functionName: 'nextTokenId' })) -
      1n;
    const missing = Math.max(0, events - Number(existing));
    if (missing > 0) {
      log(
        `setup: minting ${missing} badges (${existing} already on chain) in mintBatch transactions of 250…`,
      );
      const members = memberAddresses(1000);
      const slugs = Array.from({ length: 40 }, (_, i) => achievementTokenId(`bench-achievement-${i}`));
      const mints = Array.from({ length: missing }, (_, i) => ({
        to: members[i % members.length]!,
        achievementId: slugs[i % slugs.length]!,
      }));
      await mintBadges({ transport, chain: { ...chain }, address: badge }, { privateKey: minterKey }, mints, {
        batchSize: 250,
        onBatch: (done) => {
          if (done % 10_000 < 250) log(`setup: ${done}/${missing} minted`);
        },
      });
    }
    const setupMs = performance.now() - setupStart;
    const toBlock = await client.getBlockNumber();
    const onChain = Number(existing) + missing;
    log(`setup: ${onChain} badges in blocks ${fromBlock}..${toBlock} (${(setupMs / 1000).toFixed(1)} s)`);

    // Raw reads and the listener go through the RPC pool over HTTP, as `cb start` with RPC_URLS.
    const quiet = createSilentLogger();
    const config = loadConfig({}, { chainConfirmations: 0, logLevel: 'warn' });
    const common = {
      config,
      logger: quiet,
      metrics: createMetrics(),
      shutdown: createShutdown({ graceMs: 1000, logger: quiet }),
    };
    pool = createRpcPool({ common, endpoints: [{ name: 'bench', url: rpcUrl }] });
    await pool.checkChainId(chainId);

    // 2. Raw eth_getLogs: same ranges, same concurrency, nothing decoded or written.
    // Measured before and after the backfills (the mean is the reference): a shared machine's load
    // moves both figures, and the node warms up.
    const rpc = createChainRpc(pool.transport);
    const rawBefore = await timeRaw(rpc, badge, fromBlock, toBlock, chunkBlocks, concurrency);
    log(`raw eth_getLogs: ${rawBefore.logs} logs in ${rawBefore.ms.toFixed(0)} ms`);
    const raw = { logs: rawBefore.logs, ms: rawBefore.ms, logsPerSecond: rawBefore.logsPerSecond };

    // 3. The listener's backfill, per driver.
    const backfill: BackfillDriverResult[] = [];
    for (const driver of drivers) {
      const target = driver === 'pg' ? await createTestDatabase() : { url: undefined, drop: async () => {} };
      const metrics = createMetrics();
      const db = await createDb({
        databaseUrl: target.url,
        dataDir: 'memory://',
        poolMax: 4,
        slowQueryMs: 60_000,
        logger: quiet,
        metrics,
      });
      try {
        await migrate(db, quiet);
        const processor = createEventProcessor({ db, metrics, logger: quiet });
        const listener = createListener({
          common: { ...common, metrics },
          db,
          transport: pool.transport,
          chain: { ...chain },
          badgeAddress: badge,
          options: { startBlock: fromBlock, confirmations: 0, chunkBlocks, concurrency },
          catalogue: () => processor.catalogue(),
          ...(ingest ? {} : { ingest: false as const }),
        });
        const cpu0 = sampleCpu(CPU_ROLES);
        const t0 = performance.now();
        const result = await listener.syncOnce();
        const ms = performance.now() - t0;
        const cpu = cpuBetween(cpu0, sampleCpu(CPU_ROLES));
        const stored = Number(
          (await db.query<{ n: string }>('select count(*) as n from badge_ownership')).rows[0]!.n,
        );
        if (result.events !== raw.logs || stored !== raw.logs)
          throw new Error(
            `backfill applied ${result.events} events (${stored} stored), raw read ${raw.logs}`,
          );
        const eventsPerSecond = result.events / (ms / 1000);
        backfill.push({
          driver,
          ms,
          eventsPerSecond,
          ranges: result.ranges,
          ratioToRaw: eventsPerSecond / raw.logsPerSecond,
          cpu,
        });
        log(`backfill on ${driver}: ${result.events} events in ${ms.toFixed(0)} ms`);
      } finally {
        await db.close();
        await target.drop();
      }
    }
    const rawAfter = await timeRaw(rpc, badge, fromBlock, toBlock, chunkBlocks, concurrency);
    log(`raw eth_getLogs again: ${rawAfter.logs} logs in ${rawAfter.ms.toFixed(0)} ms`);
    raw.ms = (rawBefore.ms + rawAfter.ms) / 2;
    raw.logsPerSecond = raw.logs / (raw.ms / 1000);
    for (const b of backfill) b.ratioToRaw = b.eventsPerSecond / raw.logsPerSecond;
    return {
      events: raw.logs,
      fromBlock,
      toBlock,
      chunkBlocks,
      concurrency,
      ingest,
      setup: { ms: setupMs, minted: missing, reusedChain: options.rpcUrl !== undefined },
      raw: {
        ms: raw.ms,
        logsPerSecond: raw.logsPerSecond,
        before: rawBefore.logsPerSecond,
        after: rawAfter.logsPerSecond,
        cpu: rawBefore.cpu,
      },
      backfill,
    };
  } finally {
    await pool?.stop();
    await devChain?.stop();
  }
}

/** Whose CPU the report shows besides this process's (the database's backends and the chain node). */
const CPU_ROLES: CpuRoles = [
  { role: 'database', match: /^postgres: / },
  { role: 'chain node', match: /hardhat.* node\b/ },
];

const cpuText = (cpu: Record<string, number>): string =>
  Object.entries(cpu)
    .filter(([, s]) => s > 0)
    .map(([role, s]) => `${role} ${s.toFixed(2)}`)
    .join(', ');

async function timeRaw(
  rpc: ReturnType<typeof createChainRpc>,
  address: Address,
  from: bigint,
  to: bigint,
  chunkBlocks: number,
  concurrency: number,
): Promise<{ ms: number; logs: number; logsPerSecond: number; cpu: Record<string, number> }> {
  const ranges: [bigint, bigint][] = [];
  for (let a = from; a <= to; a += BigInt(chunkBlocks)) {
    const b = a + BigInt(chunkBlocks) - 1n;
    ranges.push([a, b > to ? to : b]);
  }
  let next = 0;
  let logs = 0;
  const cpu0 = sampleCpu(CPU_ROLES);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ranges.length) {
        const [a, b] = ranges[next++]!;
        const found = await rpc.logs({ address, fromBlock: a, toBlock: b, topics: [BADGE_TOPICS] });
        logs += found.length;
      }
    }),
  );
  const ms = performance.now() - t0;
  return { ms, logs, logsPerSecond: logs / (ms / 1000), cpu: cpuBetween(cpu0, sampleCpu(CPU_ROLES)) };
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      events: { type: 'string', default: '50000' },
      driver: { type: 'string', default: 'both' },
      'chunk-blocks': { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '4' },
      'no-ingest': { type: 'boolean', default: false },
      'rpc-url': { type: 'string' },
      badge: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (args.help) {
    console.log(
      'usage: npm run bench:chain -- [--events 50000] [--driver pglite|pg|both] [--chunk-blocks 20] [--concurrency 4] [--no-ingest] [--rpc-url URL --badge 0x…] [--json]',
    );
    return;
  }
  const {
    events,
    'chunk-blocks': chunkBlocks,
    concurrency,
  } = wholeNumbers('bench:chain', {
    events: args.events,
    'chunk-blocks': args['chunk-blocks'],
    concurrency: args.concurrency,
  });
  const drivers = choice('bench:chain', 'driver', args.driver, ['pglite', 'pg'] as const);
  await requirePostgres('bench:chain', drivers);
  const result = await runBackfillBench({
    events,
    drivers,
    chunkBlocks,
    concurrency,
    ingest: !args['no-ingest'],
    rpcUrl: args['rpc-url'],
    badgeAddress: args.badge as Address | undefined,
    log: args.json ? undefined : (line) => console.log(line),
  });
  if (args.json) {
    console.log(JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
    return;
  }
  console.log('');
  console.log(
    `bench:chain — ${result.events} badge events in blocks ${result.fromBlock}..${result.toBlock}, eth_getLogs chunks of ${result.chunkBlocks} blocks, ${result.concurrency} in flight, intake ${result.ingest ? 'on' : 'off'}; node ${process.version}`,
  );
  console.log(
    `setup: ${(result.setup.ms / 1000).toFixed(1)} s (${result.setup.minted} minted${result.setup.reusedChain ? ', chain reused' : ''})`,
  );
  console.log(
    `raw eth_getLogs             ${result.raw.logsPerSecond.toFixed(0).padStart(8)} logs/s   (${result.raw.ms.toFixed(0)} ms; mean of ${result.raw.before.toFixed(0)} before and ${result.raw.after.toFixed(0)} after; CPU-s of the first: ${cpuText(result.raw.cpu)})`,
  );
  for (const b of result.backfill) {
    console.log(
      `backfill → ${b.driver.padEnd(6)}           ${b.eventsPerSecond.toFixed(0).padStart(8)} events/s (${b.ms.toFixed(0)} ms, ${b.ranges} ranges) = ${(b.ratioToRaw * 100).toFixed(0)} % of raw; CPU-s: ${cpuText(b.cpu)}`,
    );
  }
  console.log(
    `target: backfill ≥ 50 % of the raw eth_getLogs rate; load average now ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} cores`,
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/bench\//, '/bench/'))) {
  main().catch((err) => {
    console.error(`bench:chain: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
