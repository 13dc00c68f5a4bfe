/**
 * `cb audit list|verify`, and database-changing commands recorded in the audit trail (seed 7.3).
 */
import { describe, expect, test } from 'vitest';
import { readAuditVerifications } from '../ops/index.ts';
import { registerApikey } from './apikey.ts';
import { registerAudit } from './audit.ts';
import { cliActor } from './audited-commands.ts';
import { registerEvents } from './events.ts';
import { cliSuite, runCliInProcess } from './test-support.ts';

const suite = cliSuite('cb-audit-cli-');
const withDb = suite.withDb;

const cb = (...args: string[]) =>
  runCliInProcess((program) => {
    registerApikey(program);
    registerAudit(program);
    registerEvents(program);
  }, args);

describe('cb audit', () => {
  test('default: a database-changing command is recorded with who ran it; read-only ones and dry runs are not', async () => {
    expect(
      (await cb('apikey', 'create', '--name', 'shop', '--scopes', 'events:write')).exitCode,
    ).toBeUndefined();
    await cb('apikey', 'list');
    await cb('events', 'retry-failed', '--dry-run');
    await cb('apikey', 'revoke', 'shop');
    const listed = await cb('audit', 'list', '--json');
    const records = JSON.parse(listed.out);
    expect(records.map((r: { action: string; target: string | null }) => [r.action, r.target])).toEqual([
      ['cb apikey revoke', 'shop'],
      ['cb apikey create', null],
    ]);
    expect(records[1]).toMatchObject({
      actorKind: 'cli',
      actor: cliActor(),
      outcome: 'ok',
      status: 0,
      details: { options: { name: 'shop', scopes: 'events:write' } },
    });
    expect(cliActor()).toMatch(/^[^@\s]+@[^@\s]+$/);
    const table = await cb('audit', 'list', '--action', 'revoke');
    expect(table.out).toMatch(/cb apikey revoke\s+shop\s+ok \(0\)/);
    expect(table.out).not.toContain('cb apikey create');
  });

  test('behavior: verify says the chain is intact, and exits 3 at the first changed record or a wrong anchor', async () => {
    const ok = await cb('audit', 'verify');
    expect(ok.exitCode).toBeUndefined();
    expect(ok.out).toMatch(/^2 record\(s\) checked from seq 1 to the head \(seq 2\)\nthe chain is intact\n$/);
    const [first] = JSON.parse((await cb('audit', 'list', '--json', '--limit', '1')).out);
    const anchored = await cb('audit', 'verify', '--anchor', `${first.seq}:${first.hash}`);
    expect(anchored.out).toContain(`anchor ${first.seq}: matches`);

    await withDb(async (db) => {
      await db.query('alter table audit_log disable trigger user');
      await db.query("update audit_log set actor = 'someone@else' where seq = 1");
      await db.query('alter table audit_log enable trigger user');
    });
    const broken = await cb('audit', 'verify', '--json');
    expect(broken.exitCode).toBe(3);
    expect(JSON.parse(broken.out)).toMatchObject({
      ok: false,
      broken: { seq: '1', problem: 'its content does not match its hash (changed after it was written)' },
    });
    const wrong = await cb('audit', 'verify', '--anchor', `1:${'0'.repeat(64)}`);
    expect(wrong.exitCode).toBe(3);
    expect(wrong.out).toMatch(/BROKEN at seq 1/);

    // Each run is recorded like the daily check's, newest first: what every process exports.
    const runs = await withDb((db) => readAuditVerifications(db, 10));
    expect(
      runs.map((r) => [
        r.trigger,
        r.ok,
        r.checked,
        r.headSeq,
        r.brokenSeq,
        r.anchor ? r.anchor.matches : 'none',
      ]),
    ).toEqual([
      ['cli', false, 2, '2', '1', false],
      ['cli', false, 2, '2', '1', 'none'],
      ['cli', true, 2, '2', null, true],
      ['cli', true, 2, '2', null, 'none'],
    ]);
    expect(runs[1]!.problem).toBe('its content does not match its hash (changed after it was written)');
  });

  test('error: a verification the database will not record still prints its result and exit code, with a warning', async () => {
    await withDb(async (db) => {
      await db.query(`create function refuse_verifications() returns trigger language plpgsql as $$
        begin raise exception 'cannot execute INSERT in a read-only transaction'; end $$`);
      await db.query(`create trigger refuse_verifications before insert on audit_verifications
        for each row execute function refuse_verifications()`);
    });
    try {
      // The chain is still broken from the test before: the result is not lost either way.
      const run = await cb('audit', 'verify');
      expect(run.exitCode).toBe(3);
      expect(run.out).toMatch(/BROKEN at seq 1/);
      expect(run.err).toContain(
        'cb: warning: this verification was not recorded (cb_audit_chain_ok keeps the previous result): cannot execute INSERT in a read-only transaction',
      );
    } finally {
      await withDb(async (db) => {
        await db.query('drop trigger refuse_verifications on audit_verifications');
        await db.query('drop function refuse_verifications()');
      });
    }
  });

  test('behavior: accept-break records the investigated break in the chain; verify then lists it as known and passes, until the record changes again', async () => {
    const reason = 'an operator edited the actor by hand on 11-27; original in the shipped log line';
    await expect(cb('audit', 'accept-break', '1', '--reason', 'oops')).rejects.toThrow(
      /--reason must say what happened/,
    );
    await expect(cb('audit', 'accept-break', '2', '--reason', reason)).rejects.toThrow(
      /no break at seq 2; the breaks not accepted are at seq 1/,
    );
    await expect(cb('audit', 'accept-break', 'x1', '--reason', reason)).rejects.toThrow(/SEQ must be/);

    const accepted = await cb('audit', 'accept-break', '1', '--reason', reason, '--incident', 'INC-7');
    expect(accepted.exitCode).toBeUndefined();
    expect(accepted.out).toContain('accepted the break at seq 1 (its content does not match its hash');
    expect(accepted.out).toContain(
      `known break at seq 1: its content does not match its hash (changed after it was written) — accepted by ${cliActor()}`,
    );
    expect(accepted.out).toContain(`(INC-7): ${reason}`);
    expect(accepted.out).toMatch(/the chain is intact apart from the accepted breaks\n$/);
    // The acceptance is itself a record of the chain, and the verification after it is recorded.
    const [record] = JSON.parse((await cb('audit', 'list', '--json', '--limit', '1')).out);
    expect(record).toMatchObject({
      action: 'cb audit accept-break',
      target: 'seq=1',
      actor: cliActor(),
      details: { reason, incident: 'INC-7', kind: 'content' },
    });
    expect((await withDb((db) => readAuditVerifications(db)))[0]).toMatchObject({
      ok: true,
      brokenSeq: null,
    });
    expect((await cb('audit', 'verify')).exitCode).toBeUndefined();
    await expect(cb('audit', 'accept-break', '1', '--reason', reason)).rejects.toThrow(
      /the break at seq 1 was accepted already, by .* \(record 3\)/,
    );

    // The same record changed once more is a new break: not covered by the acceptance.
    await withDb(async (db) => {
      await db.query('alter table audit_log disable trigger user');
      await db.query("update audit_log set actor = 'someone@elsewhere' where seq = 1");
      await db.query('alter table audit_log enable trigger user');
    });
    const again = await cb('audit', 'verify');
    expect(again.exitCode).toBe(3);
    expect(again.out).toMatch(/BROKEN at seq 1: its content does not match its hash/);
    expect(again.out).not.toContain('known break');
  });

  test('error: bad options are one clear line', async () => {
    await expect(cb('audit', 'list', '--outcome', 'maybe')).rejects.toThrow(
      /--outcome must be ok, failed or refused/,
    );
    await expect(cb('audit', 'list', '--since', 'last week')).rejects.toThrow(/--since must be a date/);
    await expect(cb('audit', 'list', '--limit', '0')).rejects.toThrow(/--limit must be a whole number/);
    await expect(cb('audit', 'verify', '--anchor', '12')).rejects.toThrow(/--anchor must be SEQ:HASH/);
  });
});

describe('cb apikey rotate', () => {
  test('default: prints the new key once and when the old one stops; recorded in the audit trail', async () => {
    await cb('apikey', 'create', '--name', 'partner', '--scopes', 'events:write');
    const rotated = await cb('apikey', 'rotate', 'partner', '--grace', '2h');
    expect(rotated.exitCode).toBeUndefined();
    expect(rotated.out).toMatch(
      /^rotated API key "partner": new id \w+, scopes events:write\n\n {2}cbk_\w+_\w+\n/,
    );
    expect(rotated.out).toMatch(/The old key \(id \w+\) works until \d{4}-\d\d-\d\dT/);
    const listed = JSON.parse((await cb('apikey', 'list', '--json')).out) as {
      name: string;
      revokedAt: string | null;
    }[];
    expect(listed.filter((k) => k.name === 'partner').map((k) => k.revokedAt === null)).toEqual([
      false,
      true,
    ]);
    const [record] = JSON.parse((await cb('audit', 'list', '--json', '--limit', '1')).out);
    expect(record).toMatchObject({
      action: 'cb apikey rotate',
      target: 'partner',
      details: { options: { grace: '2h' } },
    });
  });

  test('error: a grace period without a unit, or over 30 days, is one clear line', async () => {
    await expect(cb('apikey', 'rotate', 'partner', '--grace', '90')).rejects.toThrow(
      /--grace must be 0 or a number with s, m, h or d/,
    );
    await expect(cb('apikey', 'rotate', 'partner', '--grace', '31d')).rejects.toThrow(/at most 30d/);
  });
});
