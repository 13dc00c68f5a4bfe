/**
 * `createGovernance`: the governance domain of one process — voting power (cached), delegations,
 * proposals, ballots, execution — wired from explicit dependencies. See `index.ts`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { SavedAchievement } from '../achievements/index.ts';
import type { ApiKeys } from '../platform/apikeys/index.ts';
import type { Cache } from '../platform/cache/index.ts';
import type { Common } from '../platform/common.ts';
import type { Db } from '../platform/db/create-db.ts';
import type { Jobs } from '../platform/jobs/index.ts';
import { createBallotStore } from './ballot-store.ts';
import { type BlockSource, checkpointBlocks } from './chain-blocks.ts';
import { type AccuracyReport, checkPowerAccuracy } from './check-power-accuracy.ts';
import type { GovernanceContext } from './context.ts';
import { registerGovernanceJobs } from './jobs.ts';
import type { OnchainCaller } from './onchain-caller.ts';
import { resolveDefaults, type WireParameterName } from './parameters.ts';
import { createRecoverPool, type RecoverPool } from './recover-pool.ts';
import { governanceRoutes } from './routes.ts';
import { sampleBadgesPerHolder, sampleProposalStates } from './sample-metrics.ts';
import { type ContractSignatureVerifier, createSignatureVerifier } from './verify-signature.ts';
import { createVotingPower, type PowerBreakdown, VOTING_POWER_NAMESPACE } from './voting-power.ts';
import { createWeightSets, type WeightCatalogue } from './weights.ts';

/** Tuning of governance; every field is optional. */
export interface GovernanceOptions {
  /**
   * Defaults of the governance parameters, in wire form (`{ quorum: '0.04', votingPeriodSeconds:
   * 259200 }`); a row of `gov_parameters` overrides each. @defaultValue the built-in ones (parameters.ts)
   */
  defaults?: Partial<Record<WireParameterName, unknown>> | undefined;
  /** Lifetime of a cached voting power, ms (invalidation is explicit; this bounds a missed one). @defaultValue `600000` */
  powerCacheTtlMs?: number | undefined;
  /** Cached voting powers kept in memory by this process. @defaultValue `config.cacheMaxEntries` */
  powerCacheMaxEntries?: number | undefined;
  /**
   * Worker threads recovering ECDSA signers; 0 recovers in the event-loop thread. Worth it only
   * where libsecp256k1's native binding does not load (JavaScript recovery ≈1.5 ms of CPU each;
   * native ≈0.06 ms, less than a message to a worker). @defaultValue `0`
   */
  signatureWorkers?: number | undefined;
  /** Wall clock (tests move it). @defaultValue `() => new Date()` */
  now?: (() => Date) | undefined;
}

export interface CreateGovernanceParameters {
  common: Common;
  db: Db;
  cache: Cache;
  /** The achievement catalogue (weights, categories, tiers; validation of achievement_change). */
  catalogue: () => Promise<WeightCatalogue>;
  /** The on-chain achievement id of a catalogue slug (`achievementTokenId` of the chain module). */
  achievementKey: (slug: string) => bigint;
  /** Chain id of the EIP-712 domain (the badge contract's chain). */
  chainId: number;
  /** Verifies presented API keys on routes that take a signature or a key. */
  apiKeys?: Pick<ApiKeys, 'verify'> | undefined;
  /** Which blocks are indexed and confirmed. @defaultValue the listener's checkpoint: applied and finalized blocks */
  blocks?: BlockSource | undefined;
  /** Checks smart-wallet (ERC-1271) signatures; a viem PublicClient fits. Without it only EOAs can sign. */
  contractVerifier?: ContractSignatureVerifier | undefined;
  /** Sends the calls of onchain_call proposals. Without it such proposals are refused. */
  onchain?: OnchainCaller | undefined;
  /** After an executed achievement_change committed (the admins' hook: enqueue retroactive runs). */
  onAchievementsSaved?: ((saved: SavedAchievement[]) => Promise<void>) | undefined;
  options?: GovernanceOptions | undefined;
}

export interface Governance {
  /** The operations' shared context (CLI, tests, benchmarks). */
  readonly context: GovernanceContext;
  /** The HTTP routes (a plugin for `buildApp({ routes })`). */
  routes(): FastifyPluginAsync;
  /** Registers the tick, accuracy-check and badge-distribution jobs (before `jobs.start()`). */
  registerJobs(jobs: Jobs): void;
  /**
   * For the listener: call after applying badge ownership changes (mint, transfer, revoke, reorg).
   * Bumps the voting-power cache version on every instance (the arguments are for the log only:
   * any change may alter powers of delegatees too, so the whole namespace goes).
   */
  onOwnershipChanged(addresses?: readonly string[], fromBlock?: bigint): Promise<void>;
  /** Runs the accuracy check now. */
  checkPowerAccuracy(sample: number): Promise<AccuracyReport>;
  /** Samples `cb_proposals{state}` every `intervalMs` on this instance; returns the stop function. */
  startSampler(intervalMs: number): () => void;
  /** Samples `cb_badges_per_holder` once (the scheduled job does it every 15 minutes). */
  sampleBadgeDistribution(): Promise<number>;
  /** Stops the signature worker threads. Idempotent. */
  close(): Promise<void>;
}

export function createGovernance(params: CreateGovernanceParameters): Governance {
  const { common, db, cache } = params;
  const options = params.options ?? {};
  const logger = common.logger.child('governance');
  const pool: RecoverPool | undefined =
    (options.signatureWorkers ?? 0) > 0
      ? createRecoverPool({ workers: options.signatureWorkers ?? 0 })
      : undefined;
  const power = createVotingPower({
    db,
    metrics: common.metrics,
    cache: cache.namespace<PowerBreakdown>(VOTING_POWER_NAMESPACE, {
      ttlMs: options.powerCacheTtlMs ?? 600_000,
      ...(options.powerCacheMaxEntries === undefined ? {} : { maxEntries: options.powerCacheMaxEntries }),
    }),
  });
  const context: GovernanceContext = {
    db,
    logger,
    metrics: common.metrics,
    chainId: params.chainId,
    blocks: params.blocks ?? checkpointBlocks(db),
    power,
    ballots: createBallotStore(db),
    weights: createWeightSets({ db, catalogue: params.catalogue, achievementKey: params.achievementKey }),
    signatures: createSignatureVerifier({
      contractVerifier: params.contractVerifier,
      recover: pool?.recover,
    }),
    defaults: resolveDefaults(options.defaults),
    now: options.now ?? (() => new Date()),
    catalogue: params.catalogue,
    onAchievementsSaved: params.onAchievementsSaved,
    onchain: params.onchain,
  };
  const apiKeys = params.apiKeys ?? { verify: async () => undefined };

  return {
    context,
    routes: () => governanceRoutes({ ctx: context, apiKeys }),
    registerJobs: (jobs) => registerGovernanceJobs(jobs, context),
    async onOwnershipChanged(addresses, fromBlock) {
      await power.invalidateAll();
      logger.debug('voting power cache invalidated: badge ownership changed', {
        context: { addresses: addresses?.length, fromBlock: fromBlock?.toString() },
      });
    },
    checkPowerAccuracy: (sample) => checkPowerAccuracy(context, { sample }),
    startSampler(intervalMs) {
      const sample = async () => {
        try {
          await sampleProposalStates(db, common.metrics);
        } catch (err) {
          logger.warn('sampling proposal states failed', { err });
        }
      };
      void sample();
      const timer = setInterval(() => void sample(), intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    sampleBadgeDistribution: () => sampleBadgesPerHolder(db, common.metrics),
    async close() {
      await pool?.close();
    },
  };
}
