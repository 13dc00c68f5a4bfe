/**
 * The composition root: the only place that builds subsystems and wires them together.
 *
 * `createPlatform(config)` builds the shared context (logger, metrics, shutdown, database with
 * migrations applied, cache, jobs, API keys, the achievement engine); `startRole(platform, role)`
 * starts what a role runs and serves HTTP. Every role serves `/healthz`, `/readyz`, `/metrics` and
 * `/openapi.json`; the `api` and `all` roles also mount the business routes under `/v1`.
 *
 * | role     | HTTP /v1 | jobs & schedules | events, minter  | chain listener |
 * |----------|----------|------------------|-----------------|----------------|
 * | all      | yes      | yes              | yes             | yes            |
 * | api      | yes      | send only        | no              | no             |
 * | worker   | no       | yes              | yes             | no             |
 * | listener | no       | send only        | no              | yes            |
 *
 * Without RPC_URLS the chain is an in-memory dev chain with the badge contract deployed; it lives
 * in one process, so only `all` runs it (other roles then do no chain work).
 *
 * Shutdown runs in reverse order of registration: HTTP stops accepting and drains, then jobs and
 * the processor finish their work, then samplers, cache, Redis and finally the database close.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { createPublicClient, createWalletClient, type PublicClient } from 'viem';
import {
  achievementRoutes,
  type Catalogue,
  createEventProcessor,
  type EventProcessor,
  nearCompletionCounts,
  registerAchievementJobs,
  retroactiveJob,
} from './achievements/index.ts';
import {
  buildApp,
  databaseReadiness,
  listen,
  type ReadinessCheck,
  type RoutesPlugin,
  startReadinessSampler,
} from './api/index.ts';
import { badgeRoutes } from './chain/badges/index.ts';
import { achievementTokenId } from './chain/contracts/achievement-token-id.ts';
import { type ChainModule, createChain } from './chain/create-chain.ts';
import { chainOpsRoutes } from './chain/ops/chain-ops-routes.ts';
import { registerChainReconcileJob, startReconcileSampler } from './chain/reconcile/index.ts';
import {
  type ContractSignatureVerifier,
  createGovernance,
  type Governance,
  type GovernanceOptions,
  type OnchainCaller,
  readParameters,
  viemOnchainCaller,
} from './governance/index.ts';
import { governanceOptionsFromConfig } from './governance-settings.ts';
import { incidentSettingsFromConfig } from './incident-settings.ts';
import {
  type AuditTrail,
  auditRoutes,
  backupRoutes,
  capacityRoutes,
  createAuditTrail,
  createIncidents,
  createUsageTracker,
  type Incidents,
  incidentsOptionsFromSettings,
  pauseRoutes,
  registerAuditJob,
  registerBackupJob,
  registerCapacityJob,
  registerCrossSystemJob,
  sendAuditJobIfNeverVerified,
  sendCapacityJobIfNoSampleToday,
  startAuditVerificationSampler,
  startBackupSampler,
  startCapacitySampler,
  startCrossSystemSampler,
  startPauseSampler,
} from './ops/index.ts';
import { type ApiKeys, createApiKeys, startApiKeyAgeSampler } from './platform/apikeys/index.ts';
import { type Cache, createCache, createRedisSampler } from './platform/cache/index.ts';
import type { Common } from './platform/common.ts';
import type { Config, SettingSnapshot } from './platform/config.ts';
import { withAdvisoryLock } from './platform/db/advisory-lock.ts';
import { createDb, type Db } from './platform/db/create-db.ts';
import { createDbSampler } from './platform/db/db-sampler.ts';
import { migrate } from './platform/db/migrate.ts';
import { createSlowQueryRecorder } from './platform/db/slow-queries.ts';
import { createHostSampler } from './platform/host-metrics.ts';
import { recordInstanceInfo } from './platform/instance-info.ts';
import { createJobs, type Jobs } from './platform/jobs/index.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import { logArchiveOf } from './platform/logs/log-tiers.ts';
import { createMetrics } from './platform/metrics.ts';
import { closeRedis, createRedis } from './platform/redis.ts';
import { createShutdown } from './platform/shutdown.ts';
import { createWalletVerifier, type VerifyTypedDataParameters } from './platform/wallet-verifier.ts';
import { type SiweContractVerifier, webRoutes } from './web/index.ts';

export const ROLES = ['all', 'api', 'worker', 'listener'] as const;
export type Role = (typeof ROLES)[number];

export interface Platform {
  common: Common;
  db: Db;
  cache: Cache;
  jobs: Jobs;
  apiKeys: ApiKeys;
  redis: Redis | undefined;
  processor: EventProcessor;
  incidents: Incidents;
  /** The audit trail of administrative operations (API changes with a privileged key, seed 7.3). */
  audit: AuditTrail;
  /** Governance's options from the CB_GOVERNANCE_* settings (checked before anything opens). */
  governanceOptions: GovernanceOptions;
  readiness: ReadinessCheck[];
}

export interface CreatePlatformOptions {
  /** A logger to use instead of one built from the config (tests). */
  logger?: Logger | undefined;
  /** The settings snapshot (`settingsSnapshot(env)`) kept in scheduled backups' manifests. */
  settings?: SettingSnapshot[] | undefined;
  /** Apply pending migrations. @defaultValue true */
  migrate?: boolean | undefined;
}

export async function createPlatform(
  config: Readonly<Config>,
  options: CreatePlatformOptions = {},
): Promise<Platform> {
  const governanceOptions = governanceOptionsFromConfig(config);
  const logger =
    options.logger ??
    createLogger({
      service: 'cb',
      instance: config.instance,
      level: config.logLevel,
      pretty: config.logPretty,
      files: config.logDir
        ? {
            dir: config.logDir,
            instance: config.instance,
            retentionDays: config.logRetentionDays,
            archive: logArchiveOf(config),
          }
        : undefined,
    });
  const metrics = createMetrics();
  const shutdown = createShutdown({ graceMs: config.shutdownGraceMs, logger });
  // Alerts on what the logs say (seed 4.4): lines by level and service. A service's WARN, ERROR
  // and FATAL series start at 0, so the first such line is an increase Prometheus sees.
  const stopCountingLines = logger.observe({
    line: (level, service) => metrics.logLines.inc({ level, service }),
    service: (service) => {
      for (const level of ['WARN', 'ERROR', 'FATAL']) metrics.logLines.inc({ level, service }, 0);
    },
    tierMoves: (tier, result, count) => metrics.logTierMoves.inc({ tier, result }, count),
  });
  shutdown.add('log-line-metrics', stopCountingLines);
  const common: Common = { config, logger, metrics, shutdown };

  const slowQueries = createSlowQueryRecorder({
    instance: config.instance,
    logger: logger.child('db'),
    retentionDays: config.dbSlowQueryRetentionDays,
  });
  const db = await createDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolMax: config.dbPoolMax,
    slowQueryMs: config.dbSlowQueryMs,
    onSlowQuery: slowQueries.record,
    logger: logger.child('db'),
    metrics,
  });
  shutdown.add('database', () => db.close());
  try {
    await db.ping(10_000);
    if (options.migrate !== false) await migrate(db, logger.child('db'));
  } catch (err) {
    await db.close();
    throw err;
  }
  // After the database's own hook: stopping writes the last slow statements before it closes.
  shutdown.add('slow-query-log', slowQueries.start(db));

  const cache = createCache({ common });
  shutdown.add('cache', () => cache.close());
  const redis = config.redisUrl
    ? createRedis({ url: config.redisUrl, name: 'shared', logger: logger.child('redis') })
    : undefined;
  if (redis) shutdown.add('redis', () => closeRedis(redis));

  const apiKeys = createApiKeys({ db, logger: logger.child('api') });
  const jobs = createJobs({ common, db });
  const achievementsLogger = logger.child('achievement-trigger');
  const processor = createEventProcessor({
    db,
    metrics,
    logger: achievementsLogger,
    concurrency: config.eventWorkers,
    batchSize: config.eventBatchSize,
  });
  registerAchievementJobs(jobs, { db, metrics, logger: achievementsLogger });
  const incidents = createIncidents({
    common,
    db,
    jobs,
    options: incidentsOptionsFromSettings(incidentSettingsFromConfig(config)),
  });
  incidents.registerJobs();
  registerBackupJob(jobs, { config, db, logger: logger.child('backup'), settings: options.settings });
  const audit = createAuditTrail({ db, metrics, logger: logger.child('audit') });
  registerAuditJob(jobs, {
    db,
    metrics,
    logger: logger.child('audit'),
    retentionDays: config.auditRetentionDays,
  });

  const readiness: ReadinessCheck[] = [databaseReadiness(db)];
  if (config.redisUrl) readiness.push({ name: 'redis', check: (timeoutMs) => cache.ping(timeoutMs) });
  return {
    common,
    db,
    cache,
    jobs,
    apiKeys,
    redis,
    processor,
    incidents,
    audit,
    governanceOptions,
    readiness,
  };
}

export interface RunningPlatform {
  platform: Platform;
  app: FastifyInstance;
  url: string;
}

/** Starts `role` on a created platform and serves HTTP; stop with `platform.common.shutdown.run()`. */
export async function startRole(platform: Platform, role: Role): Promise<RunningPlatform> {
  const { common, db, jobs, processor } = platform;
  const { config, logger, metrics, shutdown } = common;
  // cb_instance_info{role}: Prometheus scrapes every role under one job; ApiDown needs the role.
  recordInstanceInfo(metrics, role);

  const stopHost = createHostSampler({
    metrics,
    logger,
    intervalMs: config.hostSampleIntervalMs,
    mounts: ['/', config.dataDir],
  }).start();
  const stopDb = createDbSampler({
    db,
    metrics,
    logger: logger.child('db'),
    intervalMs: config.dbSampleIntervalMs,
    schemas: ['public', config.jobsSchema],
  }).start();
  const stopNear = startNearCompletionSampler(platform, config.dbSampleIntervalMs);
  const stopKeyAges = startApiKeyAgeSampler({
    db,
    metrics,
    logger,
    maxAgeDays: config.apiKeyMaxAgeDays,
    unusedDays: config.apiKeyUnusedDays,
    intervalMs: config.dbSampleIntervalMs,
  });
  // cb_ops_paused_since_timestamp_seconds: the emergency pauses (MintingPaused, ExecutionPaused).
  const stopPauses = startPauseSampler({
    db,
    metrics,
    logger,
    intervalMs: config.dbSampleIntervalMs,
  });
  const stopBackups = startBackupSampler({
    config,
    db,
    metrics,
    logger: logger.child('backup'),
    intervalMs: config.dbSampleIntervalMs,
  });
  // The latest verification of the audit trail, whichever process ran it (cb_audit_chain_ok).
  const stopAuditVerifications = startAuditVerificationSampler({
    db,
    metrics,
    logger: logger.child('audit'),
    intervalMs: config.dbSampleIntervalMs,
  });
  // cb_dependency_up without waiting for /readyz calls (the chain's check joins once it exists).
  const stopReady = startReadinessSampler(platform.readiness, {
    intervalMs: config.readySampleIntervalMs,
    timeoutMs: config.readyTimeoutMs,
    metrics,
  });
  shutdown.add('samplers', () => {
    stopHost();
    stopDb();
    stopNear();
    stopKeyAges();
    stopPauses();
    stopBackups();
    stopAuditVerifications();
    stopReady();
  });
  if (config.redisUrl) {
    const redisSampler = createRedisSampler({ common, redisUrl: config.redisUrl });
    redisSampler.start();
    shutdown.add('redis-sampler', () => redisSampler.close());
  }

  const runsWork = role === 'all' || role === 'worker';
  shutdown.add('incident-sampler', platform.incidents.startSampler());
  // Seed 8.1: the daily capacity sample (ops.capacity) with this worker's CPU and memory of the last
  // day; every process exports the forecast (cb_capacity_disk_full_days).
  const usage = createUsageTracker();
  if (runsWork) shutdown.add('usage-tracker', usage.start());
  const capacityDef = registerCapacityJob(jobs, {
    db,
    metrics,
    logger: logger.child('capacity'),
    config,
    schemas: ['public', config.jobsSchema],
    mounts: ['/', config.dataDir],
    usage,
  });
  shutdown.add(
    'capacity-sampler',
    startCapacitySampler({
      db,
      metrics,
      logger: logger.child('capacity'),
      intervalMs: config.dbSampleIntervalMs,
    }),
  );

  const servesApi = role === 'all' || role === 'api';
  let knownTypes: ReadonlySet<string> = new Set(config.eventTypes);
  const knownSources = new Set(config.eventSources);
  const catalogue = async (): Promise<Catalogue> => {
    const c = await processor.catalogue();
    knownTypes = new Set([...config.eventTypes, ...c.eventTypes]);
    return c;
  };

  // The chain: a real one through RPC_URLS for any role; the in-memory dev chain only in `all`.
  let chainModule: ChainModule | undefined;
  let governance: Governance | undefined;
  if (config.rpcEndpoints.length > 0 || role === 'all') {
    chainModule = await createChain({
      common,
      db,
      catalogue,
      onEventsPosted: runsWork ? () => processor.wake() : undefined,
      onOwnershipChanged: (addresses, fromBlock) => governance?.onOwnershipChanged(addresses, fromBlock),
      publicUrl: `http://${config.host}:${config.port}`,
    });
    platform.readiness.push(chainModule.readiness);
    // Seed 5.2: the chain compared with the database on a schedule; every process exports the
    // latest result, whoever ran it.
    registerChainReconcileJob(jobs, {
      ctx: chainModule.syncContext,
      config,
      logger: logger.child('chain'),
    });
    shutdown.add(
      'reconcile-sampler',
      startReconcileSampler({
        db,
        metrics,
        logger: logger.child('chain'),
        contract: chainModule.badgeAddress,
        intervalMs: config.dbSampleIntervalMs,
      }),
    );
  } else {
    logger.info(
      'no RPC_URLS: the embedded dev chain runs with --role all only; this process does no chain work',
      { context: { role } },
    );
  }

  // The chain the node serves (CB_CHAIN_ID is optional with RPC_URLS): ballots and sign-in name it.
  const chainId = chainModule?.chain.id ?? config.chainId;
  // Smart wallets (ERC-1271) sign ballots and sign in; the chain checks them.
  const walletVerifier = chainModule ? erc1271Verifier(chainModule) : undefined;
  governance = createGovernance({
    common,
    db,
    cache: platform.cache,
    catalogue,
    achievementKey: achievementTokenId,
    chainId: chainId ?? 31337,
    apiKeys: platform.apiKeys,
    contractVerifier: walletVerifier,
    onchain: chainModule ? onchainCaller(chainModule, db) : undefined,
    options: platform.governanceOptions,
    onAchievementsSaved: async (saved) => {
      for (const s of saved) {
        if (s.needsRetroactive) {
          await jobs.send(retroactiveJob, { achievementId: s.id }, { singletonKey: `${s.id}@${s.version}` });
        }
      }
    },
  });
  const gov = governance;
  gov.registerJobs(jobs);
  shutdown.add('governance', () => gov.close());
  shutdown.add('governance-sampler', gov.startSampler(config.dbSampleIntervalMs));
  // Seed 5.2 多服务数据同步: the achievement system compared with governance on a schedule; every
  // process exports the latest result, whoever ran it.
  registerCrossSystemJob(jobs, {
    db,
    metrics,
    logger: logger.child('consistency'),
    config,
    weights: async () => gov.context.weights.current(await readParameters(db, gov.context.defaults)),
  });
  shutdown.add(
    'cross-system-sampler',
    startCrossSystemSampler({
      db,
      metrics,
      logger: logger.child('consistency'),
      intervalMs: config.dbSampleIntervalMs,
    }),
  );

  if (runsWork) {
    processor.start();
    shutdown.add('event-processor', () => processor.stop());
  }
  await jobs.start({ workers: runsWork });
  // A trail never verified is verified now rather than at the next 03:23 (ops.audit); not fatal.
  if (runsWork)
    await sendAuditJobIfNeverVerified({ db, jobs }).catch((err: unknown) =>
      logger.child('audit').warn('the first audit trail verification could not be sent', { err }),
    );
  // A day without a capacity sample (a new install, a worker down at 05:47) gets one now; not fatal.
  if (runsWork)
    await sendCapacityJobIfNoSampleToday({ db, jobs, def: capacityDef }).catch((err: unknown) =>
      logger.child('capacity').warn('the capacity sample could not be sent', { err }),
    );
  const minter = chainModule?.minter;
  if (minter && runsWork) {
    await minter.start();
    shutdown.add('minter', () => minter.stop());
  }
  if (chainModule && (role === 'all' || role === 'listener')) chainModule.listener.start();

  const routes: RoutesPlugin[] = servesApi
    ? [
        achievementRoutes({
          db,
          metrics,
          logger: logger.child('achievement-trigger'),
          catalogue,
          labelOf: (kind, value) => {
            if (value === undefined) return 'other';
            return (kind === 'type' ? knownTypes : knownSources).has(value) ? value : 'other';
          },
          onEventsAccepted: runsWork ? () => processor.wake() : undefined,
          streams: {
            maxStreams: config.sseMaxStreams,
            maxLifetimeMs: config.sseMaxStreamMs,
            pollIntervalMs: config.ssePollIntervalMs,
          },
          onAchievementsSaved: async (saved) => {
            for (const s of saved) {
              if (s.needsRetroactive)
                await jobs.send(
                  retroactiveJob,
                  { achievementId: s.id },
                  { singletonKey: `${s.id}@${s.version}` },
                );
            }
          },
        }),
      ]
    : [];
  if (servesApi) {
    await catalogue();
    routes.push(
      badgeRoutes({ db, catalogue }),
      chainOpsRoutes({
        db,
        logger: logger.child('chain'),
        // The minter runs only where jobs are worked; elsewhere its status would say nothing.
        chain: chainModule && { ...chainModule, minter: runsWork ? chainModule.minter : undefined },
      }),
      platform.incidents.routes,
      gov.routes(),
      backupRoutes({ config, db }),
      pauseRoutes({ db, logger: logger.child('pauses'), metrics }),
      auditRoutes({ db }),
      capacityRoutes({ db }),
    );
    const devChain = config.rpcEndpoints.length === 0;
    // The console comes last: its SPA fallback answers paths no other route claims.
    routes.push(
      ...webRoutes({
        db,
        metrics,
        logger: logger.child('web'),
        jobs,
        readiness: platform.readiness,
        readyTimeoutMs: config.readyTimeoutMs,
        devMode: devChain,
        chainId: chainId ?? (devChain ? 31337 : undefined),
        contractVerifier: walletVerifier,
        publicUrl: config.publicUrl,
        explorerUrl: config.explorerUrl,
        sessionSecret: config.sessionSecret,
        sessionTtlMs: config.sessionTtlMs,
        logDir: config.logDir,
        logRetentionDays: config.logRetentionDays,
        logArchive: logArchiveOf(config),
      }),
    );
  }

  const app = await buildApp(
    { ...common, db, apiKeys: platform.apiKeys, readiness: platform.readiness, redis: platform.redis },
    { routes, audit: { sink: platform.audit, logger: logger.child('audit') } },
  );
  const url = await listen(app, { host: config.host, port: config.port });
  shutdown.add('http', () => app.close());
  logger.info(`cb is serving ${url}`, {
    context: {
      role,
      url,
      database: db.driver === 'pg' ? 'postgresql' : `embedded PGlite in ${config.dataDir}`,
      cache: config.redisUrl ? 'memory + redis' : 'memory',
    },
  });
  return { platform, app, url };
}

function startNearCompletionSampler(platform: Platform, intervalMs: number): () => void {
  const { db, common } = platform;
  const sample = async () => {
    try {
      for (const [achievement, n] of await nearCompletionCounts(db))
        common.metrics.usersNearCompletion.set({ achievement }, n);
    } catch {
      // the database sampler logs database trouble
    }
  };
  void sample();
  const timer = setInterval(() => void sample(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The executor of passed onchain_call proposals (the chain module's executor account), waiting for
 * as many confirmations as the listener does; none without an executor key.
 */
function onchainCaller(chain: ChainModule, db: Db): OnchainCaller | undefined {
  if (!chain.executor) return undefined;
  const lock = `cb:executor:${chain.executor.address.toLowerCase()}`;
  return viemOnchainCaller({
    wallet: createWalletClient({ account: chain.executor, chain: chain.chain, transport: chain.transport }),
    publicClient: createPublicClient({ chain: chain.chain, transport: chain.transport }) as PublicClient,
    // viem counts the receipt's own block: depth 0 is 1 confirmation.
    confirmations: chain.confirmations + 1,
    // One send at a time for the account across every worker: the next one reads a pending nonce
    // that counts this one.
    serializeSends: (send) => withAdvisoryLock(db, lock, send),
  });
}

/** Smart-wallet signatures (ballots and sign-in) asked of the chain; "no answer" is not "invalid". */
function erc1271Verifier(chain: ChainModule): ContractSignatureVerifier & SiweContractVerifier {
  const verifier = createWalletVerifier(chain.transport, chain.chain);
  return {
    verifyTypedData: (p) => verifier.verifyTypedData(p as unknown as VerifyTypedDataParameters),
    verifyMessage: (p) => verifier.verifyMessage(p),
  };
}
