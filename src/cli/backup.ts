/**
 * `cb backup create|list|verify|restore|drill|wal`: full backups of the database, restore checks,
 * the restore itself, timed recovery drills against the RTO/RPO, and PostgreSQL's WAL archive (the
 * incremental side) (seed 5.3). The work is in src/ops/backup; this file parses, prints and sets exit
 * codes: 3 when a check, a drill or the archive fails.
 */
import type { Command } from 'commander';
import {
  backupDirOf,
  configuredBackupKey,
  createBackup,
  type DrillStep,
  restoreBackup,
  runDrill,
  verifyBackup,
} from '../ops/backup/backups.ts';
import { formatDuration } from '../ops/backup/backups-shape.ts';
import { type BackupManifest, listBackups } from '../ops/backup/store.ts';
import { readWalArchive, walArchiveView } from '../ops/backup/wal-archive.ts';
import { createCache } from '../platform/cache/index.ts';
import { settingsSnapshot } from '../platform/config.ts';
import { createShutdown } from '../platform/shutdown.ts';
import { cliLogger } from './cli-logger.ts';
import { cliConfig } from './load-config.ts';
import { CliError, printJson, printLine, printTable } from './output.ts';
import { type CliContext, withDatabase } from './with-database.ts';

const ID_HELP = 'a backup id from cb backup list, or latest';

const age = (iso: string): string => formatDuration((Date.now() - Date.parse(iso)) / 1000);

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(bytes < 10_485_760 ? 2 : 0)} MiB`;

const rows = (m: BackupManifest) => Object.values(m.tables).reduce((a, b) => a + b, 0);

/** `no`, or the key's id — flagged when it is not the configured key (a restore needs that one). */
function encryption(m: BackupManifest, configuredKeyId: string | undefined): string {
  if (m.encrypted !== true) return 'no';
  return `key ${m.keyId}${configuredKeyId !== undefined && configuredKeyId !== m.keyId ? ' (not the configured key)' : ''}`;
}

function lastCheck(m: BackupManifest): string {
  const v = m.verifications.at(-1);
  if (!v) return 'never';
  return `${v.ok ? 'ok' : 'FAILED'} ${age(v.at)} ago`;
}

export function registerBackup(program: Command): void {
  const backup = program
    .command('backup')
    .description('Full backups of the database, restore checks, restores and recovery drills.')
    .addHelpText(
      'after',
      `
Backups go to CB_BACKUP_DIR (default CB_DATA_DIR/backups): <id>.dump (PostgreSQL, pg_dump's custom
format) or <id>.tar.gz (embedded database), each with its manifest <id>.json (size, SHA-256, rows per
table, newest migration). PostgreSQL needs pg_dump, pg_restore and psql (apt-get install
postgresql-client). On the embedded database stop cb start first: one process owns its directory.

With CB_BACKUP_ENCRYPTION_KEY_FILE (a 32-byte key, mode 0600) new backups are encrypted
(AES-256-GCM: <id>.dump.enc, <id>.tar.gz.enc) and verify, restore and drill decrypt them with that
key. Keep a copy of the key off the host, and an old key until its backups are pruned: a backup
restores only with the key it was taken with (cb backup list shows its id).

Schedule backups daily: CB_BACKUP_SCHEDULE (a worker takes them; the only way while cb start runs
on the embedded database), or \`cb backup create\` from cron. Drill quarterly (\`cb backup drill\`);
copy the directory off the host. Incremental backups and point-in-time recovery are WAL archiving's job
(e.g. pgBackRest): see docs/operations.md; cb backup wal shows whether it keeps up.`,
    )
    // After PGlite's dumpDataDir the process stays up with nothing left to do (under the tsx loader
    // `bin/cb.js` uses; not with plain node): a backup command ends the process itself once its
    // output is written (stdout to a file or a pipe is synchronous on Linux).
    .hook('postAction', () => process.exit(process.exitCode ?? 0));

  backup
    .command('create')
    .description('Take a full, consistent backup of the configured database, then prune to CB_BACKUP_KEEP.')
    .option('--json', 'print the manifest as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = cliConfig();
      process.stderr.write(
        `backup: dumping ${config.databaseUrl ? 'PostgreSQL' : 'the embedded database'}…\n`,
      );
      const settings = settingsSnapshot(process.env);
      const result = config.databaseUrl
        ? await createBackup(config, undefined, { settings })
        : await withDatabase((ctx) => createBackup(config, ctx.db, { settings }), { migrate: false });
      if (opts.json) return printJson(result);
      const b = result.backup;
      printLine(
        `backup ${b.id}: ${mib(b.bytes)}, ${Object.keys(b.tables).length} tables, ${rows(b)} rows, in ${b.seconds} s${b.encrypted ? `, encrypted with key ${b.keyId}` : ''}`,
      );
      printLine(`  ${backupDirOf(config)}/${b.file}`);
      if (result.pruned.length > 0)
        printLine(`pruned ${result.pruned.length} older backup(s) (CB_BACKUP_KEEP=${config.backupKeep})`);
    });

  backup
    .command('list')
    .description('The backups in the backup directory, newest first, with their last restore check.')
    .option('--json', 'print the manifests as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = cliConfig();
      const dir = backupDirOf(config);
      const { backups, unreadable } = await listBackups(dir);
      if (opts.json) return printJson({ dir, backups, unreadable });
      let keyId: string | undefined;
      try {
        keyId = configuredBackupKey(config)?.id;
      } catch (err) {
        // The listing is still worth having; the key's problem is said (and fails create/restore).
        process.stderr.write(`cb: ${(err as Error).message}\n`);
      }
      if (backups.length === 0) printLine(`no backup in ${dir}: take one with cb backup create`);
      else
        printTable(
          backups.map((b) => ({
            id: b.id,
            age: age(b.finishedAt),
            driver: b.driver,
            size: mib(b.bytes),
            rows: rows(b),
            migration: b.migration ?? '-',
            encrypted: encryption(b, keyId),
            checked: lastCheck(b),
          })),
          ['id', 'age', 'driver', 'size', 'rows', 'migration', 'encrypted', 'checked'],
        );
      for (const u of unreadable) process.stderr.write(`cb: unreadable manifest ${u}\n`);
    });

  backup
    .command('verify')
    .argument('[id]', ID_HELP, 'latest')
    .description(
      'Check a backup: its file against the manifest, then a real restore into a scratch database whose rows per table must match. The result is kept in the manifest.',
    )
    .option(
      '--scratch-url <url>',
      'an empty PostgreSQL database to restore into (default: a new one next to DATABASE_URL, dropped after)',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExit code 3 when the check fails (the problems are listed).')
    .action(async (id: string, opts: { scratchUrl?: string; json?: boolean }) => {
      const config = cliConfig();
      const scratchUrl = postgresUrl('--scratch-url', opts.scratchUrl);
      const { backup: b, verification: v } = await verifyBackup(config, id, { scratchUrl });
      if (opts.json) printJson({ backup: b.id, ...v });
      else {
        printLine(
          `backup ${b.id}: ${v.ok ? 'restores and matches its manifest' : 'FAILED'} (${v.seconds} s)`,
        );
        for (const p of v.problems) printLine(`  ${p}`);
      }
      if (!v.ok) process.exitCode = 3;
    });

  backup
    .command('restore')
    .argument('<id>', ID_HELP)
    .description(
      'Restore a backup into the configured database (DATABASE_URL, or the embedded one in CB_DATA_DIR), all or nothing. Stop cb first.',
    )
    .option('--to <url>', 'restore into this PostgreSQL database instead of DATABASE_URL')
    .option(
      '--replace',
      'the target may hold data: PostgreSQL drops its schemas in the restore transaction; the embedded data directory is moved aside',
    )
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: { to?: string; replace?: boolean; json?: boolean }) => {
      const config = cliConfig();
      const targetUrl = postgresUrl('--to', opts.to);
      process.stderr.write(`restore: restoring ${id}…\n`);
      const result = await restoreBackup(config, id, { replace: opts.replace === true, targetUrl });
      // The audit trail of the restored database: its records up to the backup, then this restore
      // (written by withDatabase, which also applies migrations newer than the backup). The shared
      // cache still holds values computed from the database as it was before (voting powers with
      // delegations the backup does not have): restoring the configured database drops them.
      const cacheCleared = await withDatabase(
        async (cli) => (targetUrl === undefined ? dropSharedCache(cli) : 'not-shared'),
        { databaseUrl: targetUrl },
      );
      if (opts.json)
        return printJson({
          backup: result.backup.id,
          target: result.target,
          seconds: result.seconds,
          movedAside: result.movedAside,
          sharedCache: cacheCleared,
        });
      printLine(`restored ${result.backup.id} into ${result.target} in ${result.seconds} s`);
      if (cacheCleared === 'dropped')
        printLine('  the shared cache (Redis) was dropped: its values came from the database before');
      if (cacheCleared instanceof Error)
        printLine(
          `  WARNING: the shared cache (Redis) could not be dropped (${cacheCleared.message}): run cb reconcile cache --all --fix once Redis answers`,
        );
      if (result.movedAside) printLine(`  the previous data directory is in ${result.movedAside}`);
      printLine('next (docs/operations.md, "Restoring a backup"):');
      printLine(
        `  1. start cb: the chain listener resumes from the backup's checkpoint and re-reads the blocks since`,
      );
      printLine(
        `  2. events received after ${result.backup.finishedAt} are not in the backup: have their producers send them again (ids make it idempotent)`,
      );
      printLine('  3. cb reconcile chain and cb reconcile progress: what differs, then --fix');
    });

  backup
    .command('drill')
    .description(
      'A recovery drill for a lost database: restore a backup into a scratch target, check it and start cb on it, each step timed, then compare with CB_RTO_SECONDS and CB_RPO_SECONDS. The configured database is not touched.',
    )
    .option('--fresh', 'take a new backup first (timed) instead of recovering from the newest one')
    .option('--backup <id>', 'recover from this backup (default: the newest)')
    .option(
      '--scratch-url <url>',
      'an empty PostgreSQL database to recover into (default: a new one, dropped after)',
    )
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
The report is kept in CB_BACKUP_DIR/drills/. Exit code 3 when a step failed, the recovery took longer
than the RTO, or the backup was older than the RPO.`,
    )
    .action(async (opts: { fresh?: boolean; backup?: string; scratchUrl?: string; json?: boolean }) => {
      if (opts.fresh && opts.backup) throw new CliError('--fresh and --backup exclude each other', 2);
      const config = cliConfig();
      const scratchUrl = postgresUrl('--scratch-url', opts.scratchUrl);
      const logger = cliLogger(config, 'warn');
      const onStep = (s: DrillStep) =>
        process.stderr.write(`drill: ${s.step} ${s.ok ? 'ok' : 'FAILED'} in ${s.seconds} s: ${s.detail}\n`);
      const drill = (db: Parameters<typeof runDrill>[1]) =>
        runDrill(config, db, { fresh: opts.fresh, backupId: opts.backup, scratchUrl, logger, onStep });
      const report =
        opts.fresh && !config.databaseUrl
          ? await withDatabase((ctx) => drill(ctx.db), { migrate: false })
          : await drill(undefined);
      await logger.flush();
      if (opts.json) printJson(report);
      else {
        printLine(
          `drill ${report.id} (${report.scenario}) from backup ${report.backup.id}: ${report.ok ? 'PASSED' : 'FAILED'}`,
        );
        printTable(
          report.steps.map((s) => ({
            step: s.step,
            seconds: s.seconds,
            result: s.ok ? 'ok' : 'FAILED',
            detail: s.detail,
          })),
          ['step', 'seconds', 'result', 'detail'],
        );
        printLine(
          `recovery time ${report.recoverySeconds} s, RTO ${report.rtoSeconds} s: ${report.rtoMet ? 'met' : 'NOT met'}`,
        );
        printLine(
          `backup age ${report.backup.ageSeconds} s, RPO ${report.rpoSeconds} s: ${report.rpoMet ? 'met' : 'NOT met'}`,
        );
        printLine(`report: ${report.file}`);
      }
      if (!report.ok) process.exitCode = 3;
    });

  backup
    .command('wal')
    .description(
      "PostgreSQL's WAL archive (the incremental backups and point-in-time recovery; an archive tool such as pgBackRest in archive_command): whether the server archives, the last archived and failed segments, and the newest one's age against CB_WAL_ARCHIVE_MAX_AGE_SECONDS.",
    )
    .option('--json', 'print the status as JSON')
    .addHelpText(
      'after',
      `
Read from pg_stat_archiver and pg_settings (no privilege needed); cb exports the same as the
cb_backup_wal_* gauges (alerts WalArchiveFailing, WalArchiveBehind). Exit code 3 when a problem is
listed (not archiving, failing, behind, or archive_timeout off or longer than the maximum age). The
embedded database has no WAL archive: its RPO comes from hourly full backups (docs/operations.md).`,
    )
    .action(async (opts: { json?: boolean }) => {
      const config = cliConfig();
      if (!config.databaseUrl)
        throw new CliError(
          'the embedded database has no WAL archive: schedule hourly full backups for an hour of RPO (docs/operations.md, "Backups and recovery drills")',
          2,
        );
      const status = await withDatabase((ctx) => readWalArchive(ctx.db), { migrate: false });
      if (!status) throw new CliError('no WAL archive status on this database', 2);
      const view = walArchiveView(status, config.walArchiveMaxAgeSeconds, new Date());
      if (opts.json) printJson(view);
      else {
        const when = (iso: string | null, wal: string | null) =>
          iso ? `${wal ?? '?'}, ${age(iso)} ago (${iso})` : 'none';
        printTable(
          [
            { field: 'archive_mode', value: view.mode },
            {
              field: 'archive_timeout',
              value: view.timeoutSeconds === 0 ? 'off' : formatDuration(view.timeoutSeconds),
            },
            { field: 'archived', value: `${view.archivedCount} segments` },
            { field: 'last archived', value: when(view.lastArchivedAt, view.lastArchivedWal) },
            { field: 'failed', value: `${view.failedCount} attempts` },
            { field: 'last failed', value: when(view.lastFailedAt, view.lastFailedWal) },
            {
              field: 'archived through',
              value: !view.archiving
                ? 'not archiving'
                : view.ageSeconds === null
                  ? 'unknown'
                  : `${formatDuration(view.ageSeconds)} ago, max ${formatDuration(view.maxAgeSeconds)}`,
            },
          ],
          ['field', 'value'],
        );
        printLine(view.ok ? 'WAL archive: ok' : 'WAL archive: PROBLEMS');
        for (const p of view.problems) printLine(`- ${p}`);
      }
      if (!view.ok) process.exitCode = 3;
    });
}

function postgresUrl(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`${option} must be a postgres:// URL`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw new CliError(`${option} must be a postgres:// URL`);
  return value;
}

/**
 * Drops every namespace of the shared cache that holds values computed from the database (bumps its
 * version in Redis, which every instance follows). 'not-shared' without REDIS_URL; the error when
 * Redis does not answer (the restore stands: the operator is told to reconcile).
 */
async function dropSharedCache(cli: CliContext): Promise<'dropped' | 'not-shared' | Error> {
  const { config, logger, metrics } = cli;
  if (!config.redisUrl) return 'not-shared';
  const common = {
    config,
    logger,
    metrics,
    shutdown: createShutdown({ graceMs: config.shutdownGraceMs, logger }),
  };
  const cache = createCache({ common });
  try {
    await cache.ping(5000);
    // Loaded here: the governance domain would otherwise load with every `cb backup` command.
    const { VOTING_POWER_NAMESPACE } = await import('../governance/index.ts');
    await cache.namespace(VOTING_POWER_NAMESPACE).invalidateAll();
    return 'dropped';
  } catch (err) {
    return err as Error;
  } finally {
    await cache.close();
  }
}
