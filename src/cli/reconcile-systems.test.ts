/** `cb reconcile systems`: the achievement system against governance, as operators run it. */
import { beforeAll, describe, expect, test } from 'vitest';
import { saveAchievements } from '../achievements/index.ts';
import { achievementTokenId } from '../chain/contracts/achievement-token-id.ts';
import type { CrossSystemReport } from '../ops/consistency/index.ts';
import { registerReconcile } from './reconcile.ts';
import { registerReconcileSystems } from './reconcile-systems.ts';
import { cliSuite, helpOf, runCliInProcess } from './test-support.ts';

const suite = cliSuite('cb-reconcile-systems-');
const register = (program: import('commander').Command) =>
  registerReconcileSystems(registerReconcile(program));
const cb = (...args: string[]) => runCliInProcess(register, ['reconcile', 'systems', ...args]);

const alice = '0x00000000000000000000000000000000000000a1';
const bob = '0x00000000000000000000000000000000000000b2';
const countOf = (type: string) => ({ type: 'count', filter: { types: [type] }, target: 1 });

beforeAll(async () => {
  await suite.withDb(async (db) => {
    await saveAchievements(
      db,
      [
        { id: 'first-commit', name: 'First commit', category: 'code', weight: 1, rule: countOf('commit') },
        { id: 'reviewer', name: 'Reviewer', category: 'review', weight: 2.5, rule: countOf('review') },
      ],
      { actor: 'test', mode: 'upsert' },
    );
    // alice earned both and holds first-commit only, never asked for reviewer; bob holds reviewer unearned.
    await db.query(
      `insert into ach_unlocks (user_address, achievement_id, version) values ($1, 'first-commit', 1), ($1, 'reviewer', 1)`,
      [alice],
    );
    await db.query(
      `insert into ach_mint_outbox (user_address, achievement_id, status, token_id) values ($1, 'first-commit', 'confirmed', 1)`,
      [alice],
    );
    for (const [id, owner, slug] of [
      [1, alice, 'first-commit'],
      [2, bob, 'reviewer'],
    ] as const)
      await db.query(
        `insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx) values ($1, $2, $3, 10, '0xab')`,
        [id, achievementTokenId(slug).toString(), owner],
      );
  });
});

describe('cb reconcile systems', () => {
  test('behavior: lists each difference with the power governance counts wrong, and exits 3', async () => {
    const run = await cb();
    expect(run.exitCode).toBe(3);
    expect(run.out).toContain('2 unlock(s), 2 badge(s) held, 2 member(s); 0 minting');
    expect(run.out).toContain('2 difference(s) for 2 member(s): no_mint_request 1, not_earned 1');
    expect(run.out).toMatch(new RegExp(`no_mint_request\\s+${alice}\\s+reviewer\\s+-\\s+-2\\.5`));
    expect(run.out).toMatch(new RegExp(`not_earned\\s+${bob}\\s+reviewer\\s+2\\s+2\\.5`));
    expect(run.out).toContain('no_mint_request: ask for the mint: cb reconcile systems --fix');
    // Recorded like a scheduled run (the alert follows the latest).
    const runs = await suite.withDb(
      async (db) => (await db.query('select trigger, differences from cross_system_runs')).rows,
    );
    expect(runs).toEqual([
      { trigger: 'cli', differences: expect.objectContaining({ no_mint_request: 1, not_earned: 1 }) },
    ]);
  });

  test("behavior: --json and --member: one member's differences, the counts complete", async () => {
    const run = await cb('--member', bob.toUpperCase().replace('0X', '0x'), '--json');
    const report = JSON.parse(run.out) as CrossSystemReport;
    expect(report.member).toBe(bob);
    expect(report.differences.map((d) => [d.kind, d.achievementId, d.powerGap])).toEqual([
      ['not_earned', 'reviewer', '2500000'],
    ]);
    expect(report.counts.not_earned).toBe(1);
    expect(run.exitCode).toBe(3);
    // One member's view is not the community's: not recorded.
    const runs = await suite.withDb(
      async (db) => (await db.query('select count(*)::int as n from cross_system_runs')).rows,
    );
    expect(runs).toEqual([{ n: 1 }]);
  });

  test('behavior: --fix asks for the missing mint; what is left is reported, still exit 3', async () => {
    const run = await cb('--fix');
    expect(run.out).toContain('fixed: 1 mint(s) asked for');
    expect(run.out).toContain('1 minting');
    expect(run.out).toContain('1 difference(s) for 1 member(s): not_earned 1');
    expect(run.exitCode).toBe(3);
    const rows = await suite.withDb(
      async (db) =>
        (
          await db.query(
            `select status from ach_mint_outbox where user_address = $1 and achievement_id = 'reviewer'`,
            [alice],
          )
        ).rows,
    );
    expect(rows).toEqual([{ status: 'pending' }]);
    // Recorded in the audit trail like every database-changing command.
    const audit = await suite.withDb(
      async (db) =>
        (await db.query(`select action from audit_log where action = 'cb reconcile systems'`)).rows,
    );
    expect(audit.length).toBeGreaterThan(0);
  });

  test('validation: a bad --member, --limit or --grace is one clear line', async () => {
    for (const [args, message] of [
      [['--member', 'alice'], '--member must be a 0x address'],
      [['--limit', '0'], '--limit must be a whole number ≥ 1'],
      [['--grace', '-5'], '--grace must be a whole number ≥ 0'],
    ] as const) {
      await expect(cb(...args)).rejects.toThrow(message);
    }
  });

  test('default: --help explains the owners, the kinds and the exit code', () => {
    const help = helpOf(register, 'reconcile', 'systems');
    for (const kind of ['no_mint_request', 'mint_failed', 'not_earned', 'held_twice', 'unknown_achievement'])
      expect(help).toContain(kind);
    expect(help).toContain('Exit code 3');
  });
});
