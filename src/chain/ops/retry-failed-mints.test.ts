import { describe, expect, test } from 'vitest';
import { cliSuite, runCliInProcess } from '../../cli/test-support.ts';
import { registerRetryFailedMints } from './cli-retry-failed-mints.ts';

describe('cb chain retry-failed-mints', () => {
  const suite = cliSuite('cb-retry-mints-');
  const cb = (...args: string[]) =>
    runCliInProcess(
      (program) => registerRetryFailedMints(program.command('chain')),
      ['chain', 'retry-failed-mints', ...args],
    );
  /** Failed requests: two for lack of funds (1 and 2 hours ago), one reverted (3 hours ago); one confirmed. */
  const seed = () =>
    suite.withDb(async (db) => {
      await db.query('delete from ach_mint_outbox');
      await db.query(
        `insert into ach_mint_outbox (user_address, achievement_id, status, error, attempts, updated_at, token_id, tx_hash)
         values ('0x00000000000000000000000000000000000000a1', 'a', 'failed', 'insufficient funds for gas', 3, now() - interval '1 hour', null, '0xaa'),
                ('0x00000000000000000000000000000000000000a2', 'a', 'failed', 'insufficient funds for gas', 3, now() - interval '2 hours', null, null),
                ('0x00000000000000000000000000000000000000a3', 'a', 'failed', 'reverted: AccessControl', 3, now() - interval '3 hours', null, null),
                ('0x00000000000000000000000000000000000000a4', 'a', 'confirmed', null, 1, now() - interval '4 hours', 7, '0xbb')`,
      );
    });
  const statuses = () =>
    suite.withDb(
      async (db) =>
        (
          await db.query<{
            user_address: string;
            status: string;
            attempts: number;
            error: string | null;
            tx_hash: string | null;
          }>(
            'select user_address, status, attempts, error, tx_hash from ach_mint_outbox order by user_address',
          )
        ).rows,
    );

  test('default: the failed requests are shown by reason, then all of them are pending again with fresh attempts', async () => {
    await seed();
    const run = await cb();
    expect(run.out).toMatch(/^COUNT\s+LAST FAILED\s+REASON/m);
    expect(run.out).toMatch(/^2\s+\S+\s+insufficient funds for gas\s*$/m);
    expect(run.out).toMatch(/^1\s+\S+\s+reverted: AccessControl\s*$/m);
    expect(run.out).toContain('3 mint request(s) are pending again');
    const rows = await statuses();
    expect(rows.filter((r) => r.status === 'pending')).toHaveLength(3);
    for (const r of rows.filter((r) => r.status === 'pending'))
      expect(r).toMatchObject({ attempts: 0, error: null, tx_hash: null });
    // The confirmed one is untouched.
    expect(rows.find((r) => r.user_address.endsWith('a4'))).toMatchObject({
      status: 'confirmed',
      tx_hash: '0xbb',
    });
    // Recorded as an operation.
    const audit = await suite.withDb(
      async (db) =>
        (await db.query<{ action: string }>("select action from audit_log where action like 'cb chain%'"))
          .rows,
    );
    expect(audit).toEqual([{ action: 'cb chain retry-failed-mints' }]);
  });

  test('behavior: --dry-run changes nothing; --failed-before leaves what failed after it', async () => {
    await seed();
    const dry = JSON.parse((await cb('--dry-run', '--json')).out);
    expect(dry).toMatchObject({ dryRun: true, failed: 3, retried: 0 });
    expect((await statuses()).filter((r) => r.status === 'failed')).toHaveLength(3);

    const before = new Date(Date.now() - 90 * 60_000).toISOString(); // between the 1 h and the 2 h one
    const some = JSON.parse((await cb('--failed-before', before, '--json')).out);
    expect(some).toMatchObject({ failed: 2, retried: 2 });
    const rows = await statuses();
    expect(rows.find((r) => r.user_address.endsWith('a1'))?.status).toBe('failed');
    expect(rows.filter((r) => r.status === 'pending').map((r) => r.user_address.slice(-2))).toEqual([
      'a2',
      'a3',
    ]);
    expect((await cb('--failed-before', before)).out).toContain('no failed mint request to send again');
  });

  test('error: a --failed-before that is not a date is refused before anything is read', async () => {
    await expect(cb('--failed-before', 'yesterday')).rejects.toMatchObject({
      exitCode: 2,
      message: '--failed-before must be a date-time (ISO 8601), got "yesterday"',
    });
  });
});
