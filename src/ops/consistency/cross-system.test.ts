import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { testDatabaseTarget } from '../../../test/services.ts';
import { createDb, type Db } from '../../platform/db/create-db.ts';
import { migrate } from '../../platform/db/migrate.ts';
import { watchedDb } from '../../platform/db/test-support.ts';
import { JobTimeoutError } from '../../platform/jobs/index.ts';
import { handlerCatcher } from '../../platform/jobs/test-support.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { type CrossSystemWeights, checkCrossSystem } from './cross-system.ts';
import { registerCrossSystemJob, runRecordedCrossSystem } from './cross-system-job.ts';
import { sampleCrossSystemRuns } from './cross-system-runs.ts';

const logger = createSilentLogger();
let db: Db;
let target: Awaited<ReturnType<typeof testDatabaseTarget>>;

const member = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const [alice, bob, carol, dave] = [1, 2, 3, 4].map(member) as [string, string, string, string];
// Keys as the chain knows them; 99 is no achievement of the catalogue.
const weights: CrossSystemWeights = {
  byKey: new Map([
    ['11', { achievementId: 'first-commit', weight: 1_000_000n }],
    ['22', { achievementId: 'reviewer', weight: 2_500_000n }],
  ]),
};
let token = 0;

async function unlock(
  user: string,
  achievementId: string,
  mint?: { status: string; tokenId?: number; updatedAgo?: string },
) {
  await db.query('insert into ach_unlocks (user_address, achievement_id, version) values ($1, $2, 1)', [
    user,
    achievementId,
  ]);
  if (mint)
    await db.query(
      `insert into ach_mint_outbox (user_address, achievement_id, status, token_id, updated_at)
       values ($1, $2, $3, $4, now() - $5::interval)`,
      [user, achievementId, mint.status, mint.tokenId ?? null, mint.updatedAgo ?? '0 s'],
    );
}

async function badge(owner: string | null, key: string, revoked = false): Promise<number> {
  const id = ++token;
  await db.query(
    `insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx, revoked_block)
     values ($1, $2, $3, 10, '0xabc', $4)`,
    [id, key, owner, revoked ? 12 : null],
  );
  return id;
}

beforeAll(async () => {
  target = await testDatabaseTarget();
  db = await createDb({ ...target, poolMax: 4, slowQueryMs: 5000, logger, metrics: createMetrics() });
  await migrate(db, logger);
  for (const id of ['first-commit', 'reviewer']) {
    await db.query('insert into ach_achievements (id, current_version) values ($1, 1)', [id]);
    await db.query(
      `insert into ach_achievement_versions (achievement_id, version, definition) values ($1, 1, '{}')`,
      [id],
    );
  }
});
afterAll(async () => {
  await db?.close();
  await target?.drop();
});
beforeEach(async () => {
  await db.query(
    'delete from ach_mint_outbox; delete from ach_unlocks; delete from badge_tokens; delete from cross_system_runs',
  );
});

describe('checkCrossSystem', () => {
  test('behavior: earned and held as one badge each is consistent; mints in flight are counted, not reported', async () => {
    const t1 = await badge(alice, '11');
    await unlock(alice, 'first-commit', { status: 'confirmed', tokenId: t1 });
    await unlock(alice, 'reviewer', { status: 'pending' });
    await unlock(bob, 'reviewer', { status: 'submitted' });
    // Confirmed from the receipt a moment ago; the listener has not applied its block yet.
    await unlock(carol, 'first-commit', { status: 'confirmed', tokenId: 77, updatedAgo: '10 s' });

    const report = await checkCrossSystem(db, weights);
    expect(report.total).toBe(0);
    expect(report.differences).toEqual([]);
    expect(report.minting).toBe(3);
    expect(report).toMatchObject({ unlocks: 4, heldBadges: 1, members: 3, membersAffected: 0 });
  });

  test('behavior: every kind of difference, each with its owner-side action and power gap', async () => {
    await unlock(alice, 'first-commit'); // no mint request
    await unlock(alice, 'reviewer', { status: 'failed' });
    const revoked = await badge(null, '11', true);
    await unlock(bob, 'first-commit', { status: 'confirmed', tokenId: revoked });
    const carols = await badge(carol, '22');
    await unlock(bob, 'reviewer', { status: 'confirmed', tokenId: carols }); // carol holds bob's token
    await unlock(dave, 'first-commit', { status: 'confirmed', tokenId: 500, updatedAgo: '1 hour' });
    const t6 = await badge(dave, '22'); // dave never earned reviewer
    const t7 = await badge(dave, '99'); // no such achievement
    await unlock(carol, 'first-commit', { status: 'confirmed' });
    const c1 = await badge(carol, '11');
    const c2 = await badge(carol, '11'); // a double mint

    const report = await checkCrossSystem(db, weights);
    const rows = report.differences.map((d) => [d.kind, d.member, d.achievementId, d.tokenIds, d.powerGap]);
    expect(rows).toEqual([
      ['no_mint_request', alice, 'first-commit', [], '-1000000'],
      ['mint_failed', alice, 'reviewer', [], '-2500000'],
      ['revoked_on_chain', bob, 'first-commit', [String(revoked)], '-1000000'],
      ['held_by_other', bob, 'reviewer', [String(carols)], '-2500000'],
      ['held_twice', carol, 'first-commit', [String(c1), String(c2)], '1000000'],
      ['not_earned', carol, 'reviewer', [String(carols)], '2500000'],
      ['not_seen', dave, 'first-commit', ['500'], '-1000000'],
      ['not_earned', dave, 'reviewer', [String(t6)], '2500000'],
      ['unknown_achievement', dave, null, [String(t7)], '0'],
    ]);
    expect(report.counts).toEqual({
      no_mint_request: 1,
      mint_failed: 1,
      revoked_on_chain: 1,
      held_by_other: 1,
      not_seen: 1,
      not_earned: 2,
      unknown_achievement: 1,
      held_twice: 1,
    });
    expect(report.total).toBe(9);
    expect(report.membersAffected).toBe(4);
    expect(report.differences.every((d) => d.action.length > 0)).toBe(true);
    expect(report.differences[0]!.action).toContain('--fix');
  });

  test('behavior: --member narrows the view to one member; limit cuts the list, not the counts', async () => {
    await unlock(alice, 'first-commit');
    await unlock(alice, 'reviewer');
    await unlock(bob, 'first-commit');
    const one = await checkCrossSystem(db, weights, { member: bob });
    expect(one.differences.map((d) => d.member)).toEqual([bob]);
    expect(one).toMatchObject({ member: bob, unlocks: 1, members: 1 });

    const cut = await checkCrossSystem(db, weights, { limit: 1 });
    expect(cut.differences).toHaveLength(1);
    expect(cut.total).toBe(3);
    expect(cut.truncated).toBe(true);
  });

  test('behavior: fix asks for the missing mints (only those), and they then count as minting', async () => {
    await unlock(alice, 'first-commit');
    await unlock(bob, 'reviewer', { status: 'failed' });
    const report = await checkCrossSystem(db, weights, { fix: true });
    expect(report.mintRequested).toBe(1);
    expect(report.fixed).toBe(true);
    expect(report.counts.no_mint_request).toBe(0);
    expect(report.counts.mint_failed).toBe(1);
    expect(report.minting).toBe(1);
    const { rows } = await db.query<{ user_address: string; status: string }>(
      'select user_address, status from ach_mint_outbox order by user_address',
    );
    expect(rows).toEqual([
      { user_address: alice, status: 'pending' },
      { user_address: bob, status: 'failed' },
    ]);
    // Again: nothing left to ask for.
    expect((await checkCrossSystem(db, weights, { fix: true })).mintRequested).toBe(0);
  });

  test('behavior: a recorded run is exported by any process; a failed run keeps the last result and its time', async () => {
    const deps = { db, metrics: createMetrics(), logger, weights: async () => weights };
    await unlock(alice, 'first-commit');
    await badge(bob, '22');
    await runRecordedCrossSystem(deps, { trigger: 'schedule' });

    // Another process, its own registry: it reads the run from the database.
    const other = createMetrics();
    await sampleCrossSystemRuns(db, other);
    const text = await other.registry.metrics();
    expect(text).toContain('cb_cross_system_differences{kind="no_mint_request"} 1');
    expect(text).toContain('cb_cross_system_differences{kind="not_earned"} 1');
    expect(text).toContain('cb_cross_system_differences{kind="held_twice"} 0');
    const stamp = Number(/^cb_cross_system_last_run_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
    expect(Math.abs(stamp - Date.now() / 1000)).toBeLessThan(60);

    const broken = { ...deps, weights: async () => Promise.reject(new Error('catalogue unreadable')) };
    await expect(runRecordedCrossSystem(broken, { trigger: 'schedule' })).rejects.toThrow(
      'catalogue unreadable',
    );
    const { rows } = await db.query<{ trigger: string; error: string | null; differences: unknown }>(
      'select trigger, error, differences from cross_system_runs order by id',
    );
    expect(rows.map((r) => [r.trigger, r.error])).toEqual([
      ['schedule', null],
      ['schedule', 'catalogue unreadable'],
    ]);
    const after = createMetrics();
    await sampleCrossSystemRuns(db, after);
    expect(await after.registry.metrics()).toContain('cb_cross_system_differences{kind="not_earned"} 1');

    // A clean run clears it.
    await db.query('delete from ach_unlocks; delete from badge_tokens');
    await runRecordedCrossSystem(deps, { trigger: 'cli' });
    const clean = createMetrics();
    await sampleCrossSystemRuns(db, clean);
    expect(await clean.registry.metrics()).toContain('cb_cross_system_differences{kind="not_earned"} 0');
  });

  test('behavior: a run whose job expired stops at its signal: no further statement, no fix write, recorded as failed', async () => {
    const reason = new JobTimeoutError('ops.cross-system', 900);
    const expired = (abortAt: 'weights' | 'differences') => {
      const controller = new AbortController();
      const { db: tracked, sent } = watchedDb(db, (text) => {
        // The read of the differences answered: the job expires before the totals are asked for.
        if (abortAt === 'differences' && text.includes('union all') && !text.includes('insert'))
          controller.abort(reason);
      });
      const deps = {
        db: tracked,
        metrics: createMetrics(),
        logger,
        weights: async () => {
          if (abortAt === 'weights') controller.abort(reason);
          return weights;
        },
      };
      return { deps, sent, signal: controller.signal };
    };
    /** A statement's first three words. */
    const opening = (text: string) => text.trim().split(/\s+/).slice(0, 3).join(' ');
    const runs = async () =>
      (
        await db.query<{ fix: boolean; error: string | null; differences: unknown }>(
          'select fix, error, differences from cross_system_runs order by id',
        )
      ).rows;
    await unlock(alice, 'first-commit'); // no mint request: what a fix would ask for

    // Expired while the catalogue was read: the fix writes nothing, no comparison is sent.
    const early = expired('weights');
    await expect(
      runRecordedCrossSystem(early.deps, { trigger: 'schedule', fix: true, signal: early.signal }),
    ).rejects.toBe(reason);
    expect(early.sent.map(opening)).toEqual([
      'insert into cross_system_runs',
      'delete from cross_system_runs',
    ]);
    expect((await db.query('select 1 from ach_mint_outbox')).rows).toEqual([]);
    expect(await runs()).toEqual([{ fix: true, error: reason.message, differences: null }]);

    // Expired between the two reads of the snapshot: the totals are never asked for, no result is
    // recorded as the run's — its retry does that.
    const late = expired('differences');
    await expect(
      runRecordedCrossSystem(late.deps, { trigger: 'schedule', signal: late.signal }),
    ).rejects.toBe(reason);
    expect(late.sent.map(opening)).toEqual([
      'set transaction isolation',
      'with catalogue as',
      'insert into cross_system_runs', // the failure, recorded
      'delete from cross_system_runs',
    ]);
    expect((await runs())[1]).toEqual({ fix: false, error: reason.message, differences: null });

    // Nothing comparable was recorded: no gauge is exported from these runs.
    const sampled = createMetrics();
    await sampleCrossSystemRuns(db, sampled);
    expect(await sampled.registry.metrics()).not.toMatch(/^cb_cross_system_differences\{/m);
  });

  test('default: before any run nothing is exported (absent, not 0)', async () => {
    const fresh = createMetrics();
    await sampleCrossSystemRuns(db, fresh);
    const text = await fresh.registry.metrics();
    expect(text).not.toMatch(/^cb_cross_system_differences\{/m);
    expect(text).not.toMatch(/^cb_cross_system_last_run_timestamp_seconds /m);
  });

  test('default: the job is scheduled hourly from CB_CROSS_SYSTEM_SCHEDULE, and unscheduled when off', async () => {
    const { jobs, calls, handler } = handlerCatcher();
    const deps = { db, metrics: createMetrics(), logger, weights: async () => weights };
    registerCrossSystemJob(jobs, { ...deps, config: { crossSystemSchedule: '23 * * * *' } });
    registerCrossSystemJob(jobs, { ...deps, config: { crossSystemSchedule: undefined } });
    expect(calls).toEqual(['register ops.cross-system 23 * * * *', 'unschedule ops.cross-system']);
    // The registered handler is the recorded whole-community run.
    await unlock(alice, 'first-commit');
    await handler()({ signal: new AbortController().signal });
    // It follows the job's signal: a job already expired compares nothing and is recorded failed.
    await expect(handler()({ signal: AbortSignal.abort(new Error('expired')) })).rejects.toThrow('expired');
    const { rows } = await db.query<{ trigger: string; error: string | null }>(
      'select trigger, error from cross_system_runs order by id',
    );
    expect(rows).toEqual([
      { trigger: 'schedule', error: null },
      { trigger: 'schedule', error: 'expired' },
    ]);
  });
});
