/**
 * `cb apikey review` (seed 7.1 定期审查和调整权限) and `cb apikey rotate --scopes`, run in-process
 * against the suite's database.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { appendAudit } from '../ops/index.ts';
import { createApiKeys } from '../platform/apikeys/index.ts';
import type { Db } from '../platform/db/create-db.ts';
import { createSilentLogger } from '../platform/logger.ts';
import { registerApikey } from './apikey.ts';
import { registerAudit } from './audit.ts';
import { CliError } from './output.ts';
import { cliSuite, helpOf, runCliInProcess } from './test-support.ts';

const suite = cliSuite('cb-apikey-cli-');
const withDb = suite.withDb;

const cb = (...args: string[]) =>
  runCliInProcess((program) => {
    registerApikey(program);
    registerAudit(program);
  }, args);

// Each test reviews only its own keys; the settings are the defaults unless a test sets them.
beforeEach(async () => {
  delete process.env.CB_APIKEY_UNUSED_DAYS;
  delete process.env.CB_APIKEY_MAX_AGE_DAYS;
  await withDb((db) =>
    db.query(
      `update cb_api_keys set revoked_at = now() - interval '1 second' where revoked_at is null or revoked_at > now()`,
    ),
  );
});

let n = 0;
const name = (prefix: string) => `${prefix}-${++n}`;

/** Creates a key with the CLI; returns its id. */
async function create(keyName: string, scopes: string): Promise<string> {
  const r = await cb('apikey', 'create', '--name', keyName, '--scopes', scopes, '--json');
  return (JSON.parse(r.out) as { id: string }).id;
}

/** Creates keys in one opening of the database (faster than a command each); returns their ids by name. */
function createKeys(keys: [name: string, scopes: string][]): Promise<Record<string, string>> {
  return withDb(async (db) => {
    const apiKeys = createApiKeys({ db, logger: createSilentLogger() });
    const ids: Record<string, string> = {};
    for (const [keyName, scopes] of keys)
      ids[keyName] = (await apiKeys.create({ name: keyName, scopes: scopes.split(',') })).id;
    return ids;
  });
}

/** Sets keys' creation and last use to that long ago (intervals; null: never used). */
function age(db: Db, id: string, created: string, lastUsed: string | null) {
  return db.query(
    `update cb_api_keys set created_at = now() - $2::interval, last_used_at = now() - $3::interval where id = $1`,
    [id, created, lastUsed],
  );
}

describe('cb apikey review', () => {
  test('default: keys in use exit 0 and say nothing needs action', async () => {
    const shop = name('shop');
    const { [shop]: id } = await createKeys([[shop, 'events:write']]);
    await withDb((db) => age(db, id!, '10 days', '1 hour'));
    const r = await cb('apikey', 'review');
    expect(r.exitCode).toBeUndefined();
    expect(r.out).toMatch(
      /^API key review at \S+Z: 1 working key\(s\), 0 in a rotation's grace period, 0 holding admin\n/,
    );
    expect(r.out).toContain('limits: unused after 30 d, rotation after 180 d, at most 1 admin key(s)');
    expect(r.out).toMatch(/no findings: nothing needs action\n$/);
  });

  test('behavior: every finding is printed under its heading with what to do, and the review exits 3', async () => {
    const never = name('never');
    const idle = name('idle');
    const ops = name('ops');
    const ci = name('ci');
    const reader = name('reader');
    const old = name('old');
    const shop = name('shop');
    const ids = await createKeys([
      [never, 'events:write'],
      [idle, 'events:write'],
      [ops, 'admin'],
      [ci, 'admin'],
      [reader, 'ops:read,incidents:write'],
      [old, 'events:write'],
      [shop, 'events:write'],
    ]);
    await withDb(async (db) => {
      await age(db, ids[never]!, '45 days', null);
      await age(db, ids[idle]!, '90 days', '31 days');
      await age(db, ids[ops]!, '6 days', '1 hour');
      await age(db, ids[ci]!, '5 days', '1 hour');
      await age(db, ids[reader]!, '60 days', '1 hour');
      await age(db, ids[old]!, '200 days', '1 hour');
    });
    // A rotation whose old key is still used afterwards.
    await cb('apikey', 'rotate', shop, '--grace', '1h');
    await withDb((db) =>
      db.query(`update cb_api_keys set last_used_at = now() + interval '1 second' where id = $1`, [
        ids[shop],
      ]),
    );

    const r = await cb('apikey', 'review');
    expect(r.exitCode).toBe(3);
    const groups = r.out.split('\n\n');
    expect(groups.map((g) => g.split('\n')[0])).toEqual([
      expect.stringMatching(
        /^API key review at .*: 7 working key\(s\), 1 in a rotation's grace period, 2 holding admin$/,
      ),
      'Never used (1):',
      'Unused (1):',
      'Holds admin (full access) (2):',
      'Write/admin scopes never exercised (1):',
      'Due a rotation (1):',
      "In a rotation's grace period (1):",
      '6 finding(s) need action (ACT), 1 to confirm (check): exit code 3',
    ]);
    expect(r.out).toContain(
      `  ACT    ${never} (id ${ids[never]}; events:write): created 45 days ago and never used: revoke it (cb apikey revoke ${ids[never]}) unless its holder is about to start using it\n`,
    );
    expect(r.out).toMatch(
      new RegExp(`  ACT    ${idle} \\(id ${ids[idle]}; events:write\\): last used 31 days ago`),
    );
    expect(r.out).toContain(
      `  ACT    ${ops} (id ${ids[ops]}; admin): holds admin (full access), one of 2 keys that do (allowed: 1)`,
    );
    expect(r.out).toContain(
      `  check  ${reader} (id ${ids[reader]}; ops:read,incidents:write): holds incidents:write but made no change`,
    );
    expect(r.out).toContain(
      `  ACT    ${old} (id ${ids[old]}; events:write): created 200 days ago, more than CB_APIKEY_MAX_AGE_DAYS (180)`,
    );
    expect(r.out).toMatch(
      new RegExp(
        `  ACT    ${shop} \\(id ${ids[shop]}; events:write\\): rotated \\S+Z and still used after that`,
      ),
    );

    // With two admin keys allowed, and the keys to act on revoked, only findings to confirm are left.
    await withDb((db) =>
      db.query(`update cb_api_keys set revoked_at = now() where id = any($1)`, [
        [ids[never], ids[idle], ids[old], ids[shop]],
      ]),
    );
    const allowed = await cb('apikey', 'review', '--max-admin', '2');
    expect(allowed.exitCode).toBeUndefined();
    expect(allowed.out).toMatch(/nothing needs action; 3 finding\(s\) to confirm \(check\)\n$/);
    expect(allowed.out).toContain(
      `  check  ${ops} (id ${ids[ops]}; admin): holds admin (full access): keep it only`,
    );
  });

  test('behavior: --json prints the review: limits, counts, needsAction and each finding with its key', async () => {
    const idle = name('idle');
    const { [idle]: id } = await createKeys([[idle, 'ops:read']]);
    await withDb((db) => age(db, id!, '40 days', '35 days'));
    const r = await cb('apikey', 'review', '--json');
    expect(r.exitCode).toBe(3);
    const review = JSON.parse(r.out);
    expect(Object.keys(review)).toEqual(['reviewedAt', 'limits', 'keys', 'needsAction', 'findings']);
    expect(review).toMatchObject({
      reviewedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      limits: { unusedDays: 30, maxAgeDays: 180, maxAdminKeys: 1 },
      keys: { working: 1, inGrace: 0, admin: 0 },
      needsAction: true,
    });
    expect(review.findings).toEqual([
      {
        kind: 'unused',
        needsAction: true,
        key: {
          id,
          name: idle,
          scopes: ['ops:read'],
          createdAt: expect.any(String),
          lastUsedAt: expect.any(String),
          revokedAt: null,
        },
        ageDays: 40,
        idleDays: 35,
        message: expect.stringMatching(/^last used 35 days ago/),
      },
    ]);
    expect(JSON.stringify(review)).not.toMatch(/secret|cbk_/);
  });

  test('behavior: write/admin scopes count as exercised by a change the audit trail recorded with the key, not by a refused one or a command', async () => {
    const ops = name('ops');
    const guardian = name('guardian');
    const cbNamed = 'cb'; // the actor of cb's own records (retention)
    const ids = await createKeys([
      [ops, 'ops:write'],
      [guardian, 'governance:guardian'],
      [cbNamed, 'incidents:write'],
    ]);
    await withDb(async (db) => {
      // Apart in age, so that the review lists them in a known order.
      await age(db, ids[ops]!, '62 days', '1 hour');
      await age(db, ids[guardian]!, '61 days', '1 hour');
      await age(db, ids[cbNamed]!, '60 days', '1 hour');
      const entry = { action: 'POST /v1/ops/queues/:queue/retry', target: 'queue=mint' } as const;
      await appendAudit(db, { ...entry, actorKind: 'api_key', actor: ops, outcome: 'failed', status: 409 });
      await appendAudit(db, {
        ...entry,
        actorKind: 'api_key',
        actor: guardian,
        outcome: 'refused',
        status: 403,
      });
      await appendAudit(db, {
        actorKind: 'system',
        actor: cbNamed,
        action: 'audit retention',
        outcome: 'ok',
      });
      // Before the guardian key existed: another key of that name.
      await appendAudit(db, {
        ...entry,
        actorKind: 'api_key',
        actor: guardian,
        outcome: 'ok',
        status: 200,
        at: new Date(Date.now() - 90 * 86_400_000),
      });
    });
    const review = JSON.parse((await cb('apikey', 'review', '--json')).out);
    expect(review.findings.map((f: { kind: string; key: { name: string } }) => [f.kind, f.key.name])).toEqual(
      [
        ['unexercised-scopes', guardian],
        ['unexercised-scopes', cbNamed],
      ],
    );
    expect(review.findings[0]).toMatchObject({
      needsAction: false,
      unexercisedScopes: ['governance:guardian'],
    });
    expect(review.needsAction).toBe(false);
  });

  test('behavior: the unused limit is CB_APIKEY_UNUSED_DAYS unless --unused-days says otherwise; 0 turns it off', async () => {
    const idle = name('idle');
    const { [idle]: id } = await createKeys([[idle, 'ops:read']]);
    await withDb((db) => age(db, id!, '40 days', '20 days'));
    expect((await cb('apikey', 'review')).exitCode).toBeUndefined();
    process.env.CB_APIKEY_UNUSED_DAYS = '10';
    const bySetting = await cb('apikey', 'review', '--json');
    expect(bySetting.exitCode).toBe(3);
    expect(JSON.parse(bySetting.out)).toMatchObject({
      limits: { unusedDays: 10 },
      findings: [{ kind: 'unused' }],
    });
    const byFlag = await cb('apikey', 'review', '--unused-days', '21', '--json');
    expect(byFlag.exitCode).toBeUndefined();
    expect(JSON.parse(byFlag.out)).toMatchObject({ limits: { unusedDays: 21 }, findings: [] });
    expect((await cb('apikey', 'review', '--unused-days', '0')).exitCode).toBeUndefined();
    process.env.CB_APIKEY_MAX_AGE_DAYS = '30';
    expect(JSON.parse((await cb('apikey', 'review', '--unused-days', '0', '--json')).out)).toMatchObject({
      limits: { unusedDays: 0, maxAgeDays: 30 },
      findings: [{ kind: 'rotation-due' }],
    });
  });

  test('error: bad flags are refused with one line and exit code 2, before the database is read', async () => {
    for (const [flag, value, problem] of [
      ['--unused-days', 'thirty', '--unused-days must be a whole number from 0 to 36500, got "thirty"'],
      ['--unused-days', '-1', '--unused-days must be a whole number from 0 to 36500, got "-1"'],
      ['--unused-days', '1.5', '--unused-days must be a whole number from 0 to 36500, got "1.5"'],
      ['--unused-days', '36501', '--unused-days must be a whole number from 0 to 36500, got "36501"'],
      ['--max-admin', 'one', '--max-admin must be a whole number from 0 to 100000, got "one"'],
    ] as const) {
      const err = await cb('apikey', 'review', flag, value).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CliError);
      expect(err).toMatchObject({ message: problem, exitCode: 2 });
    }
    await expect(cb('apikey', 'review', '--unused')).rejects.toMatchObject({
      code: 'commander.unknownOption',
    });
  });

  test('behavior: --help explains every finding, what to do, and the exit code', () => {
    const help = helpOf(registerApikey, 'apikey', 'review');
    for (const finding of ['never-used', 'unused', 'admin', 'unexercised-scopes', 'rotation-due', 'in-grace'])
      expect(help).toMatch(new RegExp(`\\n  ${finding} +\\S`));
    expect(help).toContain('(cb apikey rotate NAME --scopes a:read,b:read)');
    expect(help).toContain('Exit code 3 when a finding needs action, 0 otherwise');
    expect(help).toContain('--unused-days <days>');
  });
});

describe('cb apikey rotate --scopes', () => {
  test('default: narrows the new key, says so, and the audit trail records the scopes', async () => {
    const ops = name('ops');
    const old = await create(ops, 'admin');
    const r = await cb('apikey', 'rotate', ops, '--scopes', 'ops:read, incidents:write', '--grace', '0');
    expect(r.exitCode).toBeUndefined();
    expect(r.out).toMatch(
      new RegExp(
        `^rotated API key "${ops}": new id \\w+, scopes ops:read, incidents:write \\(was admin\\)\\n`,
      ),
    );
    const listed = JSON.parse((await cb('apikey', 'list', '--json')).out);
    expect(listed.filter((k: { name: string }) => k.name === ops)).toEqual([
      expect.objectContaining({ scopes: ['ops:read', 'incidents:write'], revokedAt: null }),
    ]);
    const [record] = JSON.parse(
      (await cb('audit', 'list', '--action', 'cb apikey rotate', '--limit', '1', '--json')).out,
    );
    expect(record).toMatchObject({
      actorKind: 'cli',
      action: 'cb apikey rotate',
      target: ops,
      outcome: 'ok',
      details: { options: { scopes: 'ops:read, incidents:write', grace: '0' } },
    });
    expect(old).not.toBe(listed.find((k: { name: string }) => k.name === ops).id);
  });

  test('error: a scope the key does not hold is refused, recorded as failed, and the key is left as it was', async () => {
    const shop = name('shop');
    const { [shop]: id } = await createKeys([[shop, 'events:write']]);
    const err = await cb('apikey', 'rotate', shop, '--scopes', 'events:write,events:read').catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'CB_APIKEY_SCOPE_WIDER',
      message: expect.stringContaining(`"${shop}" holds events:write, which does not grant events:read`),
    });
    const bad = await cb('apikey', 'rotate', shop, '--scopes', 'Events').catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'CB_APIKEY_SCOPE_INVALID' });
    const listed = JSON.parse((await cb('apikey', 'list', '--json')).out);
    expect(listed.filter((k: { name: string }) => k.name === shop)).toEqual([
      expect.objectContaining({ id, scopes: ['events:write'], revokedAt: null }),
    ]);
    const [record] = JSON.parse(
      (await cb('audit', 'list', '--action', 'cb apikey rotate', '--limit', '1', '--json')).out,
    );
    expect(record).toMatchObject({
      target: shop,
      outcome: 'failed',
      details: { options: { scopes: 'events:write,events:read' } },
    });
  });
});
