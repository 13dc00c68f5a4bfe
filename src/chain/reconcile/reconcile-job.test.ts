/**
 * Seed 5.2 定期比对链上状态和数据库记录: the scheduled reconciliation records every run — what it
 * found, what a fix left, or why it failed — and every process exports the latest as
 * cb_chain_reconcile_* (ChainStateDiverged, ChainReconcileFailed).
 */
import { custom } from 'viem';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../../platform/config.ts';
import { createJobs } from '../../platform/jobs/index.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { achievementTokenId } from '../contracts/achievement-token-id.ts';
import { createListener } from '../listener/index.ts';
import { createTestbed, memberAddresses, mintBadges, type Testbed } from '../listener/test-support.ts';
import { chainStatus } from '../ops/chain-ops-routes.ts';
import { describeReconciliation } from '../ops/cli-chain-status.ts';
import { registerChainReconcileJob, runRecordedReconcile } from './reconcile-job.ts';
import { readReconcileRuns, sampleReconcileRuns } from './reconcile-runs.ts';

let bed: Testbed;
const members = memberAddresses(3, 41).map((a) => a.toLowerCase() as `0x${string}`);
const quiet = createSilentLogger();

const gauges = async (metrics: ReturnType<typeof createMetrics>) => {
  const out: Record<string, number> = {};
  for (const m of await metrics.registry.getMetricsAsJSON())
    if (m.name.startsWith('cb_chain_reconcile_') && m.values.length > 0) out[m.name] = m.values[0]!.value;
  return out;
};

beforeAll(async () => {
  bed = await createTestbed();
  await mintBadges(
    bed.writer,
    bed.chain.minter,
    Array.from({ length: 6 }, (_, i) => ({
      to: members[i % members.length]!,
      achievementId: achievementTokenId(`r${i % 2}`),
    })),
    { batchSize: 6 },
  );
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(async () => {
  await bed.resetDb();
  await bed.db.query('truncate chain_reconcile_runs');
  const { ctx } = bed.context();
  await createListener(ctx).syncOnce();
});

describe('recorded chain reconciliations', () => {
  test('default: a run that finds a tampered owner is recorded and exported; a --fix run clears it', async () => {
    const metrics = createMetrics();
    await sampleReconcileRuns(bed.db, metrics, bed.writer.address);
    expect(await gauges(metrics)).toEqual({}); // absent until a run was recorded

    await bed.db.query(
      "update badge_tokens set owner = '0x000000000000000000000000000000000000dead' where token_id = 2",
    );
    const { ctx, logs } = bed.context();
    const found = await runRecordedReconcile(ctx, {
      trigger: 'schedule',
      fix: false,
      logger: ctx.common.logger,
    });
    expect(found.differences.map((d) => d.kind)).toEqual(['wrong_owner']);
    const [run] = await readReconcileRuns(bed.db, bed.writer.address);
    expect(run).toMatchObject({
      trigger: 'schedule',
      fix: false,
      block: found.block.toString(),
      checkedTokens: 6,
      differences: { wrong_owner: 1 },
      differencesLeft: 1,
      changes: 0,
      error: null,
    });
    expect(logs.entries().find((l) => l.message === 'chain reconciliation found differences')).toMatchObject({
      level: 'WARN',
      context: { byKind: { wrong_owner: 1 }, trigger: 'schedule' },
      metrics: { differences: 1, checkedTokens: 6 },
    });
    await sampleReconcileRuns(bed.db, metrics, bed.writer.address);
    const afterFind = await gauges(metrics);
    expect(afterFind).toMatchObject({ cb_chain_reconcile_differences: 1, cb_chain_reconcile_failed: 0 });
    expect(afterFind.cb_chain_reconcile_last_run_timestamp_seconds).toBeCloseTo(
      Date.parse(run!.finishedAt) / 1000,
      3,
    );
    expect(describeReconciliation(run!)).toMatch(
      /^reconciliation: .* \(scheduled\) at block \d+, 6 token\(s\): found 1 wrong_owner$/,
    );

    await runRecordedReconcile(ctx, { trigger: 'cli', fix: true, logger: ctx.common.logger });
    const [fixed] = await readReconcileRuns(bed.db, bed.writer.address);
    expect(fixed).toMatchObject({
      trigger: 'cli',
      fix: true,
      differences: { wrong_owner: 1 },
      differencesLeft: 0,
      changes: 1,
    });
    await sampleReconcileRuns(bed.db, metrics, bed.writer.address);
    expect(await gauges(metrics)).toMatchObject({ cb_chain_reconcile_differences: 0 });
    expect((await readReconcileRuns(bed.db, bed.writer.address, 10)).map((r) => r.trigger)).toEqual([
      'cli',
      'schedule',
    ]);
  });

  test('error: a run the chain does not answer is recorded with its error and rethrown; the last comparison stays exported', async () => {
    const metrics = createMetrics();
    const { ctx } = bed.context();
    await runRecordedReconcile(ctx, { trigger: 'schedule', fix: false, logger: quiet });
    const down = custom({
      async request() {
        throw new Error('connect ECONNREFUSED 127.0.0.1:8545');
      },
    });
    const broken = bed.context({ transport: down }).ctx;
    await expect(
      runRecordedReconcile(broken, { trigger: 'schedule', fix: false, logger: quiet }),
    ).rejects.toThrow(/ECONNREFUSED/);
    const [failed, before] = await readReconcileRuns(bed.db, bed.writer.address, 2);
    expect(failed).toMatchObject({ block: null, differencesLeft: null, differences: {} });
    expect(failed!.error).toBe('An unknown RPC error occurred: connect ECONNREFUSED 127.0.0.1:8545');
    expect(before).toMatchObject({ differencesLeft: 0, error: null });
    await sampleReconcileRuns(bed.db, metrics, bed.writer.address);
    expect(await gauges(metrics)).toMatchObject({
      cb_chain_reconcile_failed: 1,
      cb_chain_reconcile_differences: 0,
    });
    expect(describeReconciliation(failed!)).toMatch(/^reconciliation: FAILED .*ECONNREFUSED/);
  });

  test('behavior: a --fix run whose job expired stops at its signal: no repair, recorded as failed with the reason', async () => {
    await bed.db.query(
      "update badge_tokens set owner = '0x000000000000000000000000000000000000dead' where token_id = 2",
    );
    const metrics = createMetrics();
    const controller = new AbortController();
    const inner = bed.context().ctx.transport({ chain: undefined });
    const expiring = bed.context({
      transport: custom({
        async request(args) {
          // The job expires while the run reads the chain.
          controller.abort(new Error('job chain.reconcile ran longer than its 21600 s'));
          return inner.request(args);
        },
      }),
    }).ctx;
    await expect(
      runRecordedReconcile(expiring, {
        trigger: 'schedule',
        fix: true,
        logger: quiet,
        signal: controller.signal,
      }),
    ).rejects.toThrow('job chain.reconcile ran longer than its 21600 s');
    const [failed] = await readReconcileRuns(bed.db, bed.writer.address, 1);
    expect(failed).toMatchObject({ block: null, error: 'job chain.reconcile ran longer than its 21600 s' });
    await sampleReconcileRuns(bed.db, metrics, bed.writer.address);
    expect(await gauges(metrics)).toMatchObject({ cb_chain_reconcile_failed: 1 });
    // No repair started: the tampered row is as it was, for the retry to find.
    const { rows } = await bed.db.query<{ owner: string }>(
      'select owner from badge_tokens where token_id = 2',
    );
    expect(rows[0]!.owner).toBe('0x000000000000000000000000000000000000dead');
  });

  test('behavior: /v1/ops/chain shows the latest run of the recorded contract', async () => {
    await bed.db.query('truncate chain_identity');
    await bed.db.query(
      `insert into chain_identity (chain_id, badge_address, genesis_hash, dev) values (31337, $1, '0x00', true)`,
      [bed.writer.address],
    );
    expect((await chainStatus({ db: bed.db, logger: quiet })).reconciliation).toBeNull();
    const { ctx } = bed.context();
    await runRecordedReconcile(ctx, { trigger: 'cli', fix: false, logger: quiet });
    expect((await chainStatus({ db: bed.db, logger: quiet })).reconciliation).toMatchObject({
      trigger: 'cli',
      checkedTokens: 6,
      differencesLeft: 0,
    });
  });

  test('default: CB_CHAIN_RECONCILE_SCHEDULE runs daily unless off; the job records a scheduled run', async () => {
    expect(loadConfig({}).chainReconcileSchedule).toBe('37 4 * * *');
    expect(loadConfig({ CB_CHAIN_RECONCILE_SCHEDULE: 'off' }).chainReconcileSchedule).toBeUndefined();
    expect(() => loadConfig({ CB_CHAIN_RECONCILE_SCHEDULE: 'nightly' })).toThrow(
      /CB_CHAIN_RECONCILE_SCHEDULE: must be a five-field cron/,
    );
    const { ctx, common } = bed.context();
    const jobs = createJobs({
      common,
      db: bed.db,
      options: { registerShutdown: false, sampleIntervalMs: 60_000 },
    });
    try {
      const off = { chainReconcileSchedule: undefined, chainReconcileFix: false };
      expect(registerChainReconcileJob(jobs, { ctx, config: off, logger: quiet })).toBeUndefined();
      const config = { chainReconcileSchedule: '37 4 * * *', chainReconcileFix: false };
      const def = registerChainReconcileJob(jobs, { ctx, config, logger: quiet })!;
      expect(def).toMatchObject({ queue: 'chain.reconcile', schedule: { cron: '37 4 * * *', tz: 'UTC' } });
      await jobs.start({ workers: true });
      // What the cron does at 04:37, sent now.
      await jobs.send(def, {});
      let runs = await readReconcileRuns(bed.db, bed.writer.address);
      for (let i = 0; i < 200 && runs.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        runs = await readReconcileRuns(bed.db, bed.writer.address);
      }
      expect(runs).toEqual([
        expect.objectContaining({ trigger: 'schedule', fix: false, differencesLeft: 0 }),
      ]);
    } finally {
      await jobs.stop();
    }
    // Turned off later: the schedule saved while it was on is removed at the next start.
    const schema = common.config.jobsSchema;
    const saved = async () => ({
      boss: (await bed.db.query(`select name from ${schema}.schedule where name = 'chain.reconcile'`)).rows
        .length,
      cb: (await bed.db.query(`select name from cb_schedules where name = 'chain.reconcile'`)).rows.length,
    });
    expect(await saved()).toEqual({ boss: 1, cb: 1 });
    const later = createJobs({
      common,
      db: bed.db,
      options: { registerShutdown: false, sampleIntervalMs: 60_000 },
    });
    try {
      const off = { chainReconcileSchedule: undefined, chainReconcileFix: false };
      expect(registerChainReconcileJob(later, { ctx, config: off, logger: quiet })).toBeUndefined();
      await later.start({ workers: true });
      expect(await saved()).toEqual({ boss: 0, cb: 0 });
    } finally {
      await later.stop();
    }
  });
});
