/**
 * `cb backup` as an operator runs it: the real binary, on the embedded database in the first test
 * pass and on PostgreSQL in the second; output, JSON and exit codes.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lockDataDir } from '../../src/platform/db/data-dir-lock.ts';
import { REDIS_TEST_URL, seededDataDir, TEST_DRIVER, testDatabaseTarget } from '../services.ts';

const BIN = join(import.meta.dirname, '../../bin/cb.js');

describe(`cb backup on ${TEST_DRIVER} (real process)`, { timeout: 180_000 }, () => {
  let env: Record<string, string>;
  let drop: () => Promise<void> = async () => {};

  const cb = (...args: string[]) => cbWith({}, ...args);
  const cbWith = (extra: Record<string, string>, ...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, ...extra },
      encoding: 'utf8',
      timeout: 90_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, unknown>;

  beforeAll(async () => {
    const target = await testDatabaseTarget();
    drop = target.drop;
    env = {
      CB_DATA_DIR: await seededDataDir('cb-e2e-backup-data-'),
      CB_BACKUP_DIR: mkdtempSync(join(tmpdir(), 'cb-e2e-backups-')),
      CB_SESSION_SECRET: 'e2e-session-secret-0123456789abcdef',
      ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
    };
    expect(cb('migrate').status).toBe(0);
    expect(cb('apikey', 'create', '--name', 'backup-e2e', '--scopes', 'events:write').status).toBe(0);
  });
  afterAll(async () => {
    await drop();
  });

  test('default: create, list and verify a backup; a drill from it passes; --help explains', () => {
    const created = cb('backup', 'create', '--json');
    expect(created.status, created.stderr).toBe(0);
    const backup = (
      json(created) as {
        backup: {
          id: string;
          tables: Record<string, number>;
          file: string;
          settings: { env: string; value: string; source: string }[];
        };
      }
    ).backup;
    expect(backup.tables['public.cb_api_keys']).toBe(1);
    // The settings in effect are kept with it, the secret hidden.
    const setting = (env: string) => backup.settings.find((s) => s.env === env);
    expect(setting('CB_BACKUP_DIR')).toEqual({
      env: 'CB_BACKUP_DIR',
      value: env.CB_BACKUP_DIR,
      source: 'env',
    });
    expect(setting('CB_SESSION_SECRET')!.value).toBe('[REDACTED]');
    expect(created.stdout).not.toContain('e2e-session-secret');

    const listed = cb('backup', 'list');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(backup.id);
    expect(listed.stdout).toContain('never'); // not checked yet

    const verified = cb('backup', 'verify', '--json');
    expect(verified.status, verified.stderr).toBe(0);
    expect(json(verified)).toMatchObject({ backup: backup.id, ok: true, problems: [] });
    expect(cb('backup', 'list').stdout).toMatch(/ok \d+ s ago/);

    const drill = cb('backup', 'drill', '--json');
    expect(drill.status, drill.stderr).toBe(0);
    const report = json(drill) as { ok: boolean; steps: { step: string; ok: boolean }[]; file: string };
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => s.step)).toEqual(['restore', 'verify', 'start']);
    expect(drill.stderr).toContain('drill: restore ok');
    expect(JSON.parse(readFileSync(report.file, 'utf8'))).toMatchObject({ ok: true });

    const help = cb('backup', '--help');
    expect(help.stdout).toContain('CB_BACKUP_DIR');
    expect(help.stdout).toMatch(/drill/);
  });

  test('error: a restore over a database that holds data is refused with what to do; a damaged backup fails its check with exit 3', () => {
    const restore = cb('backup', 'restore', 'latest');
    expect(restore.status).toBe(1);
    expect(restore.stderr).toContain('OPS_RESTORE_TARGET_NOT_EMPTY');
    expect(restore.stderr).toContain('--replace');

    const { backup } = json(cb('backup', 'create', '--json')) as { backup: { id: string; file: string } };
    const path = join(env.CB_BACKUP_DIR!, backup.file);
    const bytes = readFileSync(path);
    bytes[bytes.length - 10]! ^= 0xff;
    writeFileSync(path, bytes);
    const verified = cb('backup', 'verify', backup.id);
    expect(verified.status).toBe(3);
    expect(verified.stdout).toContain('FAILED');
    expect(verified.stdout).toContain('does not match its manifest');

    expect(cb('backup', 'verify', 'cb-20200101T000000000Z-0000').stderr).toContain('OPS_BACKUP_NOT_FOUND');
    expect(cb('backup', 'drill', '--fresh', '--backup', 'latest').status).toBe(2);
  });

  test('behavior: a restore with --replace brings the backup back and is itself recorded in the restored audit trail', () => {
    const { backup } = json(cb('backup', 'create', '--json')) as { backup: { id: string } };
    // A change after the backup: gone after the restore, as is its audit record.
    expect(cb('apikey', 'create', '--name', 'after-backup', '--scopes', 'events:write').status).toBe(0);
    const restored = cb('backup', 'restore', backup.id, '--replace', '--json');
    expect(restored.status).toBe(0);
    const keys = JSON.parse(cb('apikey', 'list', '--json').stdout) as { name: string }[];
    expect(keys.map((k) => k.name)).not.toContain('after-backup');
    const trail = JSON.parse(cb('audit', 'list', '--json').stdout) as {
      action: string;
      target: string | null;
    }[];
    expect(trail[0]).toMatchObject({ action: 'cb backup restore', target: backup.id });
    expect(trail.map((r) => r.action)).not.toContain('cb apikey create after-backup');
    expect(trail.filter((r) => r.action === 'cb apikey create')).toHaveLength(1); // backup-e2e's, from before
    const verify = cb('audit', 'verify');
    expect(verify.status).toBe(0);
    expect(verify.stdout).toContain('the chain is intact');
  });

  test.runIf(TEST_DRIVER === 'pg')(
    'behavior: a restore of the configured database drops the shared cache, whose values came from the database before',
    async () => {
      const redis = new Redis(REDIS_TEST_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      // This deployment's keys, next to another deployment's on the same Redis database.
      const run = `cbtest-${randomBytes(4).toString('hex')}`;
      const prefix = `${run}-restored:`;
      const otherVersionKey = `${run}-other:c:voting-power:version`;
      try {
        const versionKey = `${prefix}c:voting-power:version`;
        await redis.set(otherVersionKey, '7');
        const { backup } = json(cb('backup', 'create', '--json')) as { backup: { id: string } };
        const restored = cbWith(
          { REDIS_URL: REDIS_TEST_URL, CB_REDIS_KEY_PREFIX: prefix },
          'backup',
          'restore',
          backup.id,
          '--replace',
          '--json',
        );
        expect(restored.status, restored.stderr).toBe(0);
        expect(json(restored)).toMatchObject({ sharedCache: 'dropped' });
        expect(await redis.get(versionKey)).toBe('1');
        expect(await redis.get(otherVersionKey)).toBe('7'); // the other deployment's cache stands
        // Redis gone: the restore stands, and the output says what to run.
        const text = cbWith(
          { REDIS_URL: 'redis://127.0.0.1:1/0' },
          'backup',
          'restore',
          backup.id,
          '--replace',
        );
        expect(text.status, text.stderr).toBe(0);
        expect(text.stdout).toContain('run cb reconcile cache --all --fix once Redis answers');
      } finally {
        const keys = await redis.keys(`${run}-*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      }
    },
  );

  test('behavior: with CB_BACKUP_ENCRYPTION_KEY_FILE backups are encrypted; list shows which and with what key; verify needs that key; an open key file is refused', () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'cb-e2e-backup-key-'));
    const keyFile = join(keyDir, 'backup.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    const otherKey = join(keyDir, 'other.key');
    writeFileSync(otherKey, randomBytes(32).toString('base64'), { mode: 0o600 });
    const dir = { CB_BACKUP_DIR: mkdtempSync(join(tmpdir(), 'cb-e2e-backups-encrypted-')) };
    const withKey = { ...dir, CB_BACKUP_ENCRYPTION_KEY_FILE: keyFile };

    const plain = cbWith(dir, 'backup', 'create', '--json');
    expect(plain.status, plain.stderr).toBe(0);
    const created = cbWith(withKey, 'backup', 'create');
    expect(created.status, created.stderr).toBe(0);
    const keyId = /encrypted with key ([0-9a-f]{16})/.exec(created.stdout)?.[1];
    expect(keyId).toBeDefined();
    expect(created.stdout).toMatch(/\.(dump|tar\.gz)\.enc\n/);

    const listed = cbWith(withKey, 'backup', 'list');
    expect(listed.status).toBe(0);
    const lines = listed.stdout.split('\n');
    expect(lines[0]).toMatch(/\bENCRYPTED\b/);
    expect(lines[1]).toContain(`key ${keyId}`); // newest first
    expect(lines[2]).toMatch(/\bno\b/);
    expect(cbWith({ ...dir, CB_BACKUP_ENCRYPTION_KEY_FILE: otherKey }, 'backup', 'list').stdout).toContain(
      `key ${keyId} (not the configured key)`,
    );

    const noKey = cbWith(dir, 'backup', 'verify', 'latest');
    expect(noKey.status).toBe(1);
    expect(noKey.stderr).toContain('OPS_BACKUP_KEY_MISSING');
    expect(noKey.stderr).toContain('CB_BACKUP_ENCRYPTION_KEY_FILE');
    const verified = cbWith(withKey, 'backup', 'verify', 'latest', '--json');
    expect(verified.status, verified.stderr).toBe(0);
    expect(json(verified)).toMatchObject({ ok: true });

    chmodSync(keyFile, 0o640);
    const refused = cbWith(withKey, 'backup', 'create');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('OPS_BACKUP_KEY_INVALID');
    expect(refused.stderr).toContain(`chmod 600 ${keyFile}`);
  });

  test.runIf(TEST_DRIVER === 'pglite')(
    'error: the embedded database in use by another process is not backed up behind its back',
    () => {
      const unlock = lockDataDir(env.CB_DATA_DIR!);
      try {
        const r = cb('backup', 'create');
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/in use|locked|running/i);
      } finally {
        unlock();
      }
    },
  );
});
