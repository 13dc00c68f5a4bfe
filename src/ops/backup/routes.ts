/**
 * `GET /v1/ops/backups` (`ops:read`; the console's Backups page): what this instance sees of the
 * backup directory — the backups (newest first, with their last restore check), the latest drill
 * reports, and the objectives — so an operator sees at a glance whether the newest backup is inside
 * the RPO and whether the last drill met the RTO. Read from the directory on each call (a few small
 * JSON files); the manifests' per-table counts are left out. On PostgreSQL, also its WAL archive
 * (wal-archive.ts: the incremental side, point-in-time recovery) with its problems spelled out.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../platform/config.ts';
import type { Db } from '../../platform/db/create-db.ts';
import { type BackupConfig, backupDirOf } from './backups.ts';
import type { BackupsView, WalArchiveView } from './backups-shape.ts';
import { listBackups, recentDrills } from './store.ts';
import { readWalArchive, walArchiveView } from './wal-archive.ts';

export function backupRoutes(deps: {
  config: Pick<BackupConfig, 'backupDir' | 'dataDir' | 'rpoSeconds' | 'rtoSeconds'> &
    Pick<Config, 'walArchiveMaxAgeSeconds'>;
  /** The database whose WAL archive is shown (PostgreSQL); without it `wal` is null. */
  db?: Db | undefined;
  now?: () => Date;
}): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/v1/ops/backups',
      {
        config: { scope: 'ops:read' },
        schema: {
          tags: ['ops'],
          summary: 'Backups and recovery drills in the backup directory, against the RPO and RTO.',
        },
      },
      async (_request, reply): Promise<BackupsView> => {
        reply.header('cache-control', 'no-store');
        const dir = backupDirOf(deps.config);
        const at = (deps.now ?? (() => new Date()))();
        const now = at.getTime();
        let wal: WalArchiveView | null = null;
        let walError: string | null = null;
        try {
          const status = deps.db ? await readWalArchive(deps.db) : null;
          if (status) wal = walArchiveView(status, deps.config.walArchiveMaxAgeSeconds, at);
        } catch (err) {
          walError = (err as Error).message;
        }
        const { backups, unreadable } = await listBackups(dir);
        const newest = backups[0];
        const ageSeconds = newest ? Math.round((now - Date.parse(newest.finishedAt)) / 1000) : null;
        return {
          rpoSeconds: deps.config.rpoSeconds,
          rtoSeconds: deps.config.rtoSeconds,
          newestAgeSeconds: ageSeconds,
          rpoMet: ageSeconds !== null && ageSeconds <= deps.config.rpoSeconds,
          backups: backups.map((b) => ({
            id: b.id,
            driver: b.driver,
            finishedAt: b.finishedAt,
            seconds: b.seconds,
            bytes: b.bytes,
            rows: Object.values(b.tables).reduce((a, n) => a + n, 0),
            tables: Object.keys(b.tables).length,
            migration: b.migration,
            encrypted: b.encrypted === true,
            keyId: b.keyId ?? null,
            lastCheck: b.verifications.at(-1) ?? null,
          })),
          drills: await recentDrills(dir, 10),
          wal,
          walError,
          unreadable,
        };
      },
    );
  };
}
