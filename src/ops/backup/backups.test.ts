/**
 * Backups, restores, checks and drills on the suite's driver: the embedded database (a data
 * directory in a temp dir) in the first pass, PostgreSQL (pg_dump, pg_restore, psql) in the second;
 * plain and encrypted (CB_BACKUP_ENCRYPTION_KEY_FILE).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, PG_ADMIN_URL, TEST_DRIVER } from '../../../test/services.ts';
import { loadConfig } from '../../platform/config.ts';
import { createDb, type Db } from '../../platform/db/create-db.ts';
import { migrate } from '../../platform/db/migrate.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { readBackupKey } from './backup-key.ts';
import { type BackupConfig, createBackup, restoreBackup, runDrill, verifyBackup } from './backups.ts';
import { createEncryptStream, readDecrypted } from './encryption.ts';
import { restorePostgres } from './postgres.ts';
import { type BackupManifest, fileDigest, listBackups, writeManifest } from './store.ts';

const logger = createSilentLogger();
const PG = TEST_DRIVER === 'pg';

interface Target {
  config: BackupConfig;
  /** Opens the target's database (close it before a restore into an embedded one). */
  open(): Promise<Db>;
  drop(): Promise<void>;
}

/** A database of the suite's driver, with its own backup directory. */
/** The embedded data directories the targets made (~80 MB each): removed when the file is done. */
const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});
function ownDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-backup-data-'));
  dataDirs.push(dir);
  return dir;
}

async function newTarget(backupDir: string, overrides: Partial<BackupConfig> = {}): Promise<Target> {
  const base = loadConfig({}, {});
  const pgDb = PG ? await createTestDatabase() : undefined;
  const config: BackupConfig = {
    backupDir,
    backupKeep: base.backupKeep,
    rtoSeconds: base.rtoSeconds,
    rpoSeconds: base.rpoSeconds,
    databaseUrl: pgDb?.url,
    dataDir: ownDir(),
    ...overrides,
  };
  return {
    config,
    open: () =>
      createDb({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        poolMax: 2,
        slowQueryMs: 60_000,
        logger,
        metrics: createMetrics(),
      }),
    drop: async () => pgDb?.drop(),
  };
}

async function addEvents(db: Db, from: number, n: number): Promise<void> {
  await db.query(
    `insert into ach_events (source, external_id, type, user_address, occurred_at, partition, data)
     select 'test', 'e-' || i, 'quest.completed', '0x' || lpad(to_hex(i % 7), 40, '0'), now(), i % 16,
            jsonb_build_object('n', i)
       from generate_series($1::int, $2::int) as i`,
    [from, from + n - 1],
  );
}

async function events(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `select external_id || ':' || (data->>'n') as id from ach_events order by seq`,
  );
  return rows.map((r) => r.id);
}

/** Runs `fn` on the target's database, closed after (the embedded one is locked while open). */
async function withDb<T>(target: Target, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await target.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Takes a backup of the target (the embedded database is opened for it, as the CLI does). */
const backUp = (target: Target) =>
  PG ? createBackup(target.config, undefined) : withDb(target, (db) => createBackup(target.config, db));

describe(`backups on ${TEST_DRIVER}`, { timeout: 120_000 }, () => {
  let backupDir: string;
  let source: Target;
  let stored: string[];

  beforeAll(async () => {
    backupDir = mkdtempSync(join(tmpdir(), 'cb-backups-'));
    source = await newTarget(backupDir);
    stored = await withDb(source, async (db) => {
      await migrate(db, logger);
      await addEvents(db, 1, 500);
      return events(db);
    });
  });

  afterAll(async () => {
    await source?.drop();
  });

  test('default: a backup records its file, checksum, rows per table and migration; its check restores it and matches', async () => {
    const { backup } = await backUp(source);
    expect(backup.driver).toBe(PG ? 'pg' : 'pglite');
    expect(backup.tables['public.ach_events']).toBe(500);
    expect(backup.migration).toMatch(/^\d{4}_/);
    expect(backup.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(join(backupDir, backup.file))).size).toBe(backup.bytes);
    expect((await readdir(backupDir)).filter((n) => n.endsWith('.partial'))).toEqual([]);

    const databasesBefore = PG ? await scratchDatabases() : [];
    const { verification } = await verifyBackup(source.config, backup.id);
    expect(verification).toMatchObject({ ok: true, problems: [] });
    // The check is kept in the manifest, and its scratch database is gone.
    const listed = (await listBackups(backupDir)).backups.find((b) => b.id === backup.id)!;
    expect(listed.verifications).toHaveLength(1);
    if (PG) await expectNoneLeft(databasesBefore);
  });

  test('behavior: a restore into an empty database gives back every row', async () => {
    const target = await newTarget(backupDir);
    try {
      const result = await restoreBackup(target.config, 'latest');
      expect(result.seconds).toBeGreaterThan(0);
      expect(await withDb(target, events)).toEqual(stored);
      // cb runs on it: nothing left to migrate.
      expect((await withDb(target, (db) => migrate(db, logger))).applied).toEqual([]);
    } finally {
      await target.drop();
    }
  });

  test('behavior: a restore refuses a target that holds data; --replace puts the backup in its place', async () => {
    const target = await newTarget(backupDir);
    try {
      await withDb(target, async (db) => {
        await migrate(db, logger);
        await addEvents(db, 10_000, 3);
      });
      await expect(restoreBackup(target.config, 'latest')).rejects.toMatchObject({
        code: 'OPS_RESTORE_TARGET_NOT_EMPTY',
      });
      expect(await withDb(target, events)).toHaveLength(3);

      const result = await restoreBackup(target.config, 'latest', { replace: true });
      expect(await withDb(target, events)).toEqual(stored);
      if (!PG) {
        // The embedded data directory it replaced is kept aside, whole.
        expect(result.movedAside).toMatch(/pg\.replaced-/);
        expect((await readdir(result.movedAside!)).length).toBeGreaterThan(0);
      }
    } finally {
      await target.drop();
    }
  });

  test('error: a damaged backup fails its check, and is never restored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-backups-damaged-'));
    const own = { ...source.config, backupDir: dir };
    const { backup } = await backUp({ ...source, config: own });
    const path = join(dir, backup.file);
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(path, bytes);

    const { verification } = await verifyBackup(own, backup.id);
    expect(verification.ok).toBe(false);
    expect(verification.problems.join()).toContain('does not match its manifest');
    const target = await newTarget(dir);
    try {
      await expect(restoreBackup(target.config, backup.id)).rejects.toMatchObject({
        code: 'OPS_BACKUP_CORRUPT',
      });
    } finally {
      await target.drop();
    }
    await expect(verifyBackup(own, 'cb-20200101T000000000Z-0000')).rejects.toMatchObject({
      code: 'OPS_BACKUP_NOT_FOUND',
    });
  });

  test('behavior: creating a backup prunes to the newest CB_BACKUP_KEEP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-backups-keep-'));
    const own = { ...source.config, backupDir: dir, backupKeep: 2 };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { backup, pruned } = await backUp({ ...source, config: own });
      ids.push(backup.id);
      expect(pruned).toEqual(i === 2 ? [ids[0]] : []);
    }
    expect((await listBackups(dir)).backups.map((b) => b.id)).toEqual([ids[2], ids[1]]);
    expect((await readdir(dir)).some((n) => n.startsWith(ids[0]!))).toBe(false);
  });

  test('behavior: a drill restores the newest backup into a scratch target, checks and starts cb on it, and reports against RTO and RPO', async () => {
    const steps: string[] = [];
    const report = await runDrill(source.config, undefined, { logger, onStep: (s) => steps.push(s.step) });
    expect(steps).toEqual(['restore', 'verify', 'start']);
    expect(report.steps.every((s) => s.ok)).toBe(true);
    expect(report.steps.find((s) => s.step === 'verify')!.detail).toContain('rows as in the manifest');
    expect(report).toMatchObject({ scenario: 'database-lost', rtoMet: true, rpoMet: true, ok: true });
    expect(report.recoverySeconds).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(report.file, 'utf8'))).toMatchObject({ id: report.id, ok: true });
    if (PG) {
      // Its own scratch database is gone (others' may come and go: backup.e2e checks on the same server).
      const scratch = /^into (cb_restore_check_\w+)$/.exec(
        report.steps.find((s) => s.step === 'restore')!.detail,
      );
      expect(scratch).not.toBeNull();
      expect(await scratchDatabases()).not.toContain(scratch![1]);
    }

    // Slower than the RTO, or from a backup older than the RPO: failed, with the reason.
    const slow = await runDrill({ ...source.config, rtoSeconds: 0.001 }, undefined, { logger });
    expect(slow).toMatchObject({ rtoMet: false, rpoMet: true, ok: false });
    const later = new Date(Date.now() + (source.config.rpoSeconds + 60) * 1000);
    const stale = await runDrill(source.config, undefined, { logger, now: () => later });
    expect(stale).toMatchObject({ rtoMet: true, rpoMet: false, ok: false });
    expect(stale.backup.ageSeconds).toBeGreaterThan(source.config.rpoSeconds);
  });

  test.runIf(PG)(
    'behavior: rows written during a backup are in it or not, never half: its check still matches',
    async () => {
      const writer = new pg.Client({ connectionString: source.config.databaseUrl });
      await writer.connect();
      let stop = false;
      let i = 100_000;
      const writing = (async () => {
        while (!stop) {
          await writer.query(
            `insert into ach_events (source, external_id, type, user_address, occurred_at, partition)
           values ('test', $1, 'quest.completed', '0x0000000000000000000000000000000000000001', now(), 1)`,
            [`w-${i++}`],
          );
        }
      })();
      try {
        const { backup } = await createBackup({ ...source.config, backupKeep: 0 }, undefined);
        stop = true;
        await writing;
        expect(i).toBeGreaterThan(100_000);
        expect((await verifyBackup(source.config, backup.id)).verification).toMatchObject({ ok: true });
      } finally {
        stop = true;
        await writing.catch(() => {});
        await writer.end();
      }
    },
  );

  test('error: a drill with no backup to recover from fails, with a report', async () => {
    const empty = { ...source.config, backupDir: mkdtempSync(join(tmpdir(), 'cb-backups-none-')) };
    const report = await runDrill(empty, undefined, { logger });
    expect(report).toMatchObject({ ok: false, rpoMet: false });
    expect(report.steps).toEqual([expect.objectContaining({ step: 'restore', ok: false })]);
    expect(report.steps[0]!.detail).toContain('no backup');
    expect(JSON.parse(readFileSync(report.file, 'utf8'))).toMatchObject({ ok: false });
  });

  test.runIf(PG)(
    'error: an aborted backup (the job expired, a shutdown) stops and leaves nothing behind',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cb-backups-aborted-'));
      const controller = new AbortController();
      controller.abort(new Error('job expired'));
      await expect(
        createBackup({ ...source.config, backupDir: dir }, undefined, { signal: controller.signal }),
      ).rejects.toThrow('job expired');
      expect(readdirSync(dir)).toEqual([]);
    },
  );

  test.runIf(PG)('error: a target holding only a schema of its own is not taken for empty', async () => {
    const target = await newTarget(backupDir);
    try {
      await withDb(target, (db) => db.query('create schema other_app'));
      await expect(restoreBackup(target.config, 'latest')).rejects.toMatchObject({
        code: 'OPS_RESTORE_TARGET_NOT_EMPTY',
        message: expect.stringContaining('other_app'),
      });
    } finally {
      await target.drop();
    }
  });

  test.runIf(PG)('error: a restore that fails midway leaves the target as it was', async () => {
    const { backup } = await createBackup({ ...source.config, backupKeep: 0 }, undefined);
    const truncated = join(mkdtempSync(join(tmpdir(), 'cb-truncated-')), 'half.dump');
    const bytes = readFileSync(join(backupDir, backup.file));
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.8)));
    const target = await newTarget(backupDir);
    try {
      await withDb(target, async (db) => {
        await migrate(db, logger);
        await addEvents(db, 20_000, 2);
      });
      await expect(
        restorePostgres(truncated, target.config.databaseUrl!, { replace: true }),
      ).rejects.toMatchObject({ code: 'OPS_RESTORE_FAILED' });
      expect(await withDb(target, events)).toEqual(['e-20000:20000', 'e-20001:20001']);
    } finally {
      await target.drop();
    }
  });
});

/**
 * No scratch database made since `before` is left. Another file's checks (backup.e2e) make theirs on
 * the same server while this one runs, so one that appeared may be theirs: it must be gone within
 * 20 s, which a check of ours that never dropped its copy never is.
 */
async function expectNoneLeft(before: readonly string[]): Promise<void> {
  let left: string[] = [];
  for (const until = Date.now() + 20_000; Date.now() < until; ) {
    left = (await scratchDatabases()).filter((name) => !before.includes(name));
    if (left.length === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(left).toEqual([]);
}

async function scratchDatabases(): Promise<string[]> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `select datname from pg_database where datname like 'cb\\_restore\\_check\\_%' order by 1`,
    );
    return rows.map((r) => r.datname);
  } finally {
    await admin.end();
  }
}

/** A key file of mode 0600 in a directory of its own; returns its path. */
function newKeyFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cb-backup-key-')), 'backup.key');
  writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return path;
}

/**
 * Damage the file as someone with write access to the backup directory could: the file changed,
 * and its manifest's size and checksum changed to match, so only the encryption can tell.
 */
async function tamper(dir: string, backup: BackupManifest, change: (bytes: Buffer) => Buffer): Promise<void> {
  const path = join(dir, backup.file);
  writeFileSync(path, change(readFileSync(path)));
  await writeManifest(dir, { ...backup, ...(await fileDigest(path)) });
}

/** What a plain archive of this driver holds as text: pg_restore's SQL, or the tarball's bytes. */
function archiveText(plain: Buffer): string {
  if (!PG) return gunzipSync(plain).toString('latin1');
  const r = spawnSync('pg_restore', ['--file=-'], { input: plain, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`pg_restore: ${r.stderr.toString()}`);
  return r.stdout.toString('utf8');
}

const MARKER = 'marker-7f3c9a';

describe(`encrypted backups on ${TEST_DRIVER}`, { timeout: 180_000 }, () => {
  let dir: string;
  let keyFile: string;
  let source: Target;
  let stored: string[];
  let backup: BackupManifest;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cb-backups-encrypted-'));
    keyFile = newKeyFile();
    source = await newTarget(dir, { backupEncryptionKeyFile: keyFile, backupKeep: 0 });
    stored = await withDb(source, async (db) => {
      await migrate(db, logger);
      await addEvents(db, 1, 300);
      // Rows of random text, so the dump spans many 64 KiB records even compressed.
      await db.query(
        `insert into ach_events (source, external_id, type, user_address, occurred_at, partition, data)
         select 'test', 'x-' || i, 'quest.completed', '0x' || lpad(to_hex(i % 7), 40, '0'), now(), i % 16,
                jsonb_build_object('n', i, 'note', $1::text || (select string_agg(md5(random()::text || i || j), '') from generate_series(1, 16) j))
           from generate_series(1, 4000) as i`,
        [MARKER],
      );
      return events(db);
    });
    backup = (await backUp(source)).backup;
  });

  afterAll(async () => {
    await source?.drop();
  });

  test('default: the file is encrypted as stored, the manifest says so with the key id and checksums the stored file; it checks and restores', async () => {
    const key = readBackupKey(keyFile);
    expect(backup).toMatchObject({
      encrypted: true,
      keyId: key.id,
      file: `${backup.id}.${PG ? 'dump' : 'tar.gz'}.enc`,
    });
    const path = join(dir, backup.file);
    expect(await fileDigest(path)).toEqual({ sha256: backup.sha256, bytes: backup.bytes });
    expect(backup.bytes).toBeGreaterThan(4 * 65_536);
    expect(backup.tables['public.ach_events']).toBe(4300);

    // Nothing readable in it: no row's text, and not an archive pg_restore or gunzip can open.
    const raw = readFileSync(path);
    expect(raw.includes(Buffer.from(MARKER))).toBe(false);
    expect(raw.subarray(0, 8).toString('ascii')).toBe('CBBKPENC');
    expect(() => archiveText(raw)).toThrow();
    // Decrypted with the key, it is the archive, rows and all.
    expect(archiveText(Buffer.concat(await readDecrypted(path, key, path)))).toContain(MARKER);
    // No plaintext copy was left beside it.
    expect(readdirSync(dir).filter((n) => !n.endsWith('.json'))).toEqual([backup.file]);

    const { verification } = await verifyBackup(source.config, backup.id);
    expect(verification).toMatchObject({ ok: true, problems: [] });
    const target = await newTarget(dir, { backupEncryptionKeyFile: keyFile });
    try {
      await restoreBackup(target.config, backup.id);
      expect(await withDb(target, events)).toEqual(stored);
    } finally {
      await target.drop();
    }
  });

  test('behavior: a drill recovers from the encrypted backup', async () => {
    const report = await runDrill(source.config, undefined, { logger, backupId: backup.id });
    expect(report.steps.map((s) => [s.step, s.ok])).toEqual([
      ['restore', true],
      ['verify', true],
      ['start', true],
    ]);
  });

  test('error: without the key, or with another one, nothing is checked or restored, and the message names the key wanted', async () => {
    const other = newKeyFile();
    const wanted = readBackupKey(keyFile).id;
    for (const [keyFileSet, code] of [
      [undefined, 'OPS_BACKUP_KEY_MISSING'],
      [other, 'OPS_BACKUP_KEY_MISMATCH'],
    ] as const) {
      const config = { ...source.config, backupEncryptionKeyFile: keyFileSet };
      // Not the backup's fault: thrown, not kept as a failed check.
      await expect(verifyBackup(config, backup.id)).rejects.toMatchObject({
        code,
        message: expect.stringContaining(wanted),
      });
      const target = await newTarget(dir, { backupEncryptionKeyFile: keyFileSet });
      try {
        await expect(restoreBackup(target.config, backup.id)).rejects.toMatchObject({ code });
      } finally {
        await target.drop();
      }
      const drill = await runDrill(config, undefined, { logger, backupId: backup.id });
      expect(drill.ok).toBe(false);
      expect(drill.steps[0]).toMatchObject({
        step: 'restore',
        ok: false,
        detail: expect.stringContaining(wanted),
      });
    }
    expect(
      (await listBackups(dir)).backups.find((b) => b.id === backup.id)!.verifications.every((v) => v.ok),
    ).toBe(true);
  });

  test('error: a flipped byte or a cut, even with the manifest made to match, fails the check and is never restored, even in part', async () => {
    const cases: [string, (bytes: Buffer) => Buffer][] = [
      [
        'a byte flipped in the last record',
        (bytes) => {
          bytes[bytes.length - 40]! ^= 0x01;
          return bytes;
        },
      ],
      // 36-byte header, then records of 64 KiB + 16: cut right after the last but one full record.
      [
        'cut at a record boundary',
        (bytes) => {
          const cut = 36 + (Math.floor((bytes.length - 36) / 65_552) - 1) * 65_552;
          expect(cut).toBeGreaterThan(36 + 2 * 65_552);
          return bytes.subarray(0, cut);
        },
      ],
    ];
    for (const [what, change] of cases) {
      const own = { ...source.config, backupDir: mkdtempSync(join(tmpdir(), 'cb-backups-tampered-')) };
      const { backup: b } = await backUp({ ...source, config: own });
      await tamper(own.backupDir, b, change);

      const { verification } = await verifyBackup(own, b.id);
      expect(verification.ok, what).toBe(false);
      expect(verification.problems.join(), what).toContain('fails authentication');

      // A target that holds data, restored over with --replace: refused, and left as it was.
      const target = await newTarget(own.backupDir, { backupEncryptionKeyFile: keyFile });
      try {
        await withDb(target, async (db) => {
          await migrate(db, logger);
          await addEvents(db, 50_000, 2);
        });
        await expect(restoreBackup(target.config, b.id, { replace: true }), what).rejects.toMatchObject({
          code: 'OPS_BACKUP_AUTH_FAILED',
        });
        expect(await withDb(target, events), what).toEqual(['e-50000:50000', 'e-50001:50001']);
        if (!PG) expect(readdirSync(target.config.dataDir).filter((n) => n.includes('replaced'))).toEqual([]);
      } finally {
        await target.drop();
      }
    }
  });

  test.runIf(PG)(
    'error: a file whose last record fails gets no COMMIT, even when pg_restore already read a whole archive',
    async () => {
      // An archive followed by bytes pg_restore never reads, encrypted; then a byte of that tail
      // flipped. pg_restore gets the whole archive and succeeds; only the decryption's end says no.
      const dump = spawnSync(
        'pg_dump',
        ['--format=custom', '--no-owner', '--no-privileges', `--dbname=${source.config.databaseUrl}`],
        { maxBuffer: 1 << 28 },
      );
      expect(dump.status, dump.stderr.toString()).toBe(0);
      const key = readBackupKey(keyFile);
      const parts: Buffer[] = [];
      await pipeline(
        Readable.from([dump.stdout, Buffer.alloc(4 * 65_536)]),
        createEncryptStream(key),
        async (sealed: AsyncIterable<Buffer>) => {
          for await (const part of sealed) parts.push(part);
        },
      );
      const bytes = Buffer.concat(parts);
      bytes[bytes.length - 40]! ^= 0x01;
      const path = join(mkdtempSync(join(tmpdir(), 'cb-encrypted-tail-')), 'tail.dump.enc');
      writeFileSync(path, bytes);
      const target = await newTarget(dir);
      try {
        await expect(restorePostgres(path, target.config.databaseUrl!, { key })).rejects.toMatchObject({
          code: 'OPS_BACKUP_AUTH_FAILED',
          message: expect.stringContaining('nothing was restored'),
        });
        const { rows } = await withDb(target, (db) =>
          db.query(`select to_regclass('public.ach_events') is null as absent`),
        );
        expect(rows).toEqual([{ absent: true }]);
      } finally {
        await target.drop();
      }
    },
  );

  test('behavior: a backup taken before encryption still checks and restores with a key configured', async () => {
    const own = {
      ...source.config,
      backupDir: mkdtempSync(join(tmpdir(), 'cb-backups-plain-')),
      backupEncryptionKeyFile: undefined,
    };
    const { backup: plain } = await backUp({ ...source, config: own });
    expect(plain.encrypted).toBe(false);
    expect(plain.file).not.toMatch(/\.enc$/);
    // As a manifest from before encryption existed: no `encrypted` field at all.
    const { encrypted: _, ...old } = plain;
    await writeManifest(own.backupDir, old as BackupManifest);

    const withKey = { ...own, backupEncryptionKeyFile: keyFile };
    expect((await verifyBackup(withKey, plain.id)).verification).toMatchObject({ ok: true });
    const target = await newTarget(own.backupDir, { backupEncryptionKeyFile: keyFile });
    try {
      await restoreBackup(target.config, plain.id);
      expect(await withDb(target, events)).toEqual(stored);
    } finally {
      await target.drop();
    }
    // And the next backup is encrypted.
    const next = await backUp({ ...source, config: withKey });
    expect(next.backup).toMatchObject({ encrypted: true, keyId: readBackupKey(keyFile).id });
  });

  test('error: a key file others can read stops a backup before anything is written', async () => {
    const open = newKeyFile();
    spawnSync('chmod', ['644', open]);
    const own = {
      ...source.config,
      backupDir: mkdtempSync(join(tmpdir(), 'cb-backups-badkey-')),
      backupEncryptionKeyFile: open,
    };
    await expect(backUp({ ...source, config: own })).rejects.toMatchObject({
      code: 'OPS_BACKUP_KEY_INVALID',
      message: expect.stringContaining('chmod 600'),
    });
    expect(existsSync(own.backupDir) ? readdirSync(own.backupDir) : []).toEqual([]);
  });
});
