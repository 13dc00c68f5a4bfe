/**
 * What the browser tests and `scripts/screenshots.ts` share: the console built once with Vite
 * (programmatically, into a directory of their own), a real server listening on a free port — the
 * API's plugins with the audit trail recording (as `cb start` has them), the achievement routes and
 * the web console's routes over a migrated test database (test/services.ts) —, Chromium from Debian
 * driven by playwright-core, and a small seed.
 * With `chain: true` the server also runs the chain module as `cb start` does without RPC_URLS:
 * an in-process dev chain with the badge deployed, its minter and its listener.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium } from 'playwright-core';
import {
  achievementRoutes,
  createEventProcessor,
  type EventProcessor,
} from '../../src/achievements/index.ts';
import type { AppContext } from '../../src/api/app-context.ts';
import { buildApp, listen, type RoutesPlugin } from '../../src/api/index.ts';
import { createTestApi, type TestApi } from '../../src/api/test-context.ts';
import { badgeRoutes } from '../../src/chain/badges/index.ts';
import { type ChainModule, createChain } from '../../src/chain/create-chain.ts';
import { chainOpsRoutes } from '../../src/chain/ops/chain-ops-routes.ts';
import {
  auditRoutes,
  type BackupConfig,
  backupRoutes,
  createAuditTrail,
  pauseRoutes,
} from '../../src/ops/index.ts';
import { createJobs, type Jobs } from '../../src/platform/jobs/index.ts';
import { createSilentLogger } from '../../src/platform/logger.ts';
import { webRoutes } from '../../src/web/index.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CHROMIUM = process.env.CB_CHROMIUM ?? '/usr/bin/chromium';
/** Without the background-networking flags Chromium keeps calling home on a closed network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser suite cannot run here, or undefined; throws when CI=true and Chromium is missing. */
export function chromiumProblem(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const problem = `Chromium not found at ${CHROMIUM} (apt-get install chromium)`;
  if (process.env.CI === 'true') throw new Error(`the browser tests need Chromium in CI: ${problem}`);
  return problem;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** `vite build` of the console into `outDir` (minified, as shipped). */
export async function buildConsole(outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const { build } = await import('vite');
  // Under vitest NODE_ENV is "test", which would make Vite ship React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: join(ROOT, 'web', 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}

export interface ConsoleServer {
  url: string;
  app: FastifyInstance;
  t: TestApi;
  ctx: AppContext;
  processor: EventProcessor;
  jobs: Jobs | undefined;
  /** The chain module, when started with `chain: true`. */
  chain: ChainModule | undefined;
  /** An API key with the `admin` scope (catalogue, events, operators' pages). */
  adminKey: string;
  /** Where the Backups page looks (a temp directory of this server's). */
  backupConfig: BackupConfig;
  /** CB_LOG_DIR of this server (a temp directory, empty): the Logs page searches it. */
  logDir: string;
  close(): Promise<void>;
}

export interface ConsoleServerOptions {
  distDir: string;
  /** Start pg-boss (queues page). @defaultValue false */
  withJobs?: boolean;
  /** More route plugins (governance, incidents…), built before the jobs start. */
  extraRoutes?: (env: ExtraEnv) => Promise<RoutesPlugin[]>;
  /** CB_EXPLORER_URL: the console links addresses, transactions and blocks there. */
  explorerUrl?: string;
  /**
   * Run the chain module as `cb start` does without RPC_URLS (an in-process dev chain, the badge
   * deployed, its minter and listener running): unlocks become real tokens. @defaultValue false
   */
  chain?: boolean;
}

export interface ExtraEnv {
  ctx: AppContext;
  t: TestApi;
  processor: EventProcessor;
  jobs: Jobs | undefined;
  /** Runs at close, before the database closes. */
  onClose(fn: () => Promise<void>): void;
}

export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const t = await createTestApi();
  const { ctx } = t.context({ config: { rateLimitMax: 100_000, logLevel: 'warn' } });
  const processor = createEventProcessor({
    db: t.db,
    metrics: ctx.metrics,
    logger: createSilentLogger(),
    concurrency: 1,
    batchSize: 500,
  });
  const jobs = options.withJobs
    ? createJobs({ common: ctx, db: t.db, options: { registerShutdown: false, sampleIntervalMs: 500 } })
    : undefined;
  const closers: (() => Promise<void>)[] = [];
  // The Backups page reads a directory of this server's own (empty until a test backs up).
  const logDir = mkdtempSync(join(tmpdir(), 'cb-console-logs-'));
  const backupConfig: BackupConfig = {
    ...ctx.config,
    backupDir: mkdtempSync(join(tmpdir(), 'cb-console-backups-')),
    dataDir: 'memory://',
  };
  const chain = options.chain
    ? await createChain({
        common: ctx,
        db: t.db,
        catalogue: () => processor.catalogue(),
        // Processed inline, like the intake's events: a badge.minted counts at once.
        onEventsPosted: () => void processor.drain(),
        publicUrl: 'http://127.0.0.1',
      })
    : undefined;
  const extra =
    (await options.extraRoutes?.({ ctx, t, processor, jobs, onClose: (fn) => closers.push(fn) })) ?? [];
  // Send-only: jobs wait in their queues (what the queues page shows), nothing runs behind the test.
  await jobs?.start({ workers: false });
  await chain?.minter?.start();
  chain?.listener.start();
  const routes: RoutesPlugin[] = [
    achievementRoutes({
      db: t.db,
      metrics: ctx.metrics,
      logger: createSilentLogger(),
      catalogue: () => processor.catalogue(),
      labelOf: () => 'other',
      // Processed inline (no loop): a test reads its own writes without waiting for a poll.
      onEventsAccepted: () => void processor.drain(),
    }),
    ...extra,
    chainOpsRoutes({ db: t.db, logger: createSilentLogger(), chain }),
    ...(chain ? [badgeRoutes({ db: t.db, catalogue: () => processor.catalogue() })] : []),
    backupRoutes({ config: { ...backupConfig, walArchiveMaxAgeSeconds: 3600 }, db: t.db }),
    pauseRoutes({ db: t.db, logger: createSilentLogger(), metrics: ctx.metrics }),
    auditRoutes({ db: t.db }),
    ...webRoutes({
      db: t.db,
      metrics: ctx.metrics,
      logger: ctx.logger,
      jobs: jobs ?? {
        stats: async () => [],
        listDeadLetters: async () => [],
        retryDeadLetter: async () => '',
      },
      readiness: ctx.readiness,
      readyTimeoutMs: ctx.config.readyTimeoutMs,
      devMode: true,
      chainId: 31337,
      distDir: options.distDir,
      rumFlushIntervalMs: 2000,
      explorerUrl: options.explorerUrl,
      logDir,
    }),
  ];
  // Privileged changes are recorded as in `cb start`: the Audit page reads them back.
  const audit = createAuditTrail({ db: t.db, metrics: ctx.metrics, logger: createSilentLogger() });
  const app = await buildApp(ctx, { routes, audit: { sink: audit, logger: createSilentLogger() } });
  const url = await listen(app, { host: '127.0.0.1', port: 0 });
  const adminKey = (await t.apiKeys.create({ name: 'console-admin', scopes: ['admin'] })).key;
  return {
    url,
    app,
    t,
    ctx,
    processor,
    jobs,
    chain,
    adminKey,
    backupConfig,
    logDir,
    async close() {
      await app.close();
      // The chain first: its listener hands events to the processor.
      if (chain) {
        await chain.listener.stop();
        await chain.minter?.stop();
        await chain.devChain?.stop();
      }
      await processor.stop();
      await jobs?.stop();
      for (const close of closers.reverse()) await close();
      await t.close();
    },
  };
}

/** A small catalogue and a member's events: two unlocked, two in progress, one not started. */
export const SEED_CATALOGUE = [
  {
    id: 'first-trade',
    name: 'First trade',
    description: 'Make your first trade.',
    category: 'trade',
    series: 'trader',
    tier: 'bronze',
    rule: { type: 'count', filter: { types: ['trade'] }, target: 1 },
  },
  {
    id: 'trader-silver',
    name: 'Seasoned trader',
    description: 'Five trades of at least 10.',
    category: 'trade',
    series: 'trader-5',
    tier: 'silver',
    weight: 2,
    rule: {
      type: 'count',
      filter: { types: ['trade'], conditions: [{ field: 'amount', op: 'gte', value: 10 }] },
      target: 5,
    },
  },
  {
    id: 'volume-1000',
    name: 'Big volume',
    description: 'Trade a total of 1000.',
    category: 'trade',
    series: 'volume',
    tier: 'gold',
    weight: 3,
    rule: { type: 'sum', filter: { types: ['trade'] }, field: 'amount', target: 1000 },
  },
  {
    id: 'topics-3',
    name: 'Curious mind',
    description: 'Post in three different topics.',
    category: 'community',
    rule: { type: 'distinct', filter: { types: ['post'] }, field: 'topic', target: 3 },
  },
  {
    id: 'first-vote',
    name: 'Voice heard',
    description: 'Vote on a proposal.',
    category: 'governance',
    rule: { type: 'count', filter: { types: ['vote'] }, target: 1 },
  },
];

/** Saves the catalogue and sends a member's events through the API; waits until they are processed. */
export async function seedMember(server: ConsoleServer, member: string): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
      body: JSON.stringify(body),
    });
    if (!res.ok && res.status !== 409) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  };
  for (const a of SEED_CATALOGUE) await post('/v1/achievements', a);
  const at = (i: number) => new Date(Date.now() - (10 - i) * 3_600_000).toISOString();
  const events = [
    ...[25, 40, 8].map((amount, i) => ({ type: 'trade', data: { amount, topic: 'nft' }, i })),
    ...['nft', 'defi'].map((topic, i) => ({ type: 'post', data: { topic }, i: i + 3 })),
  ].map((e) => ({
    id: `seed-${member}-${e.i}`,
    type: e.type,
    source: 'app',
    user: member,
    occurredAt: at(e.i),
    data: e.data,
  }));
  await post('/v1/events', { events });
  await server.processor.drain();
}
