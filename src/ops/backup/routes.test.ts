/** `GET /v1/ops/backups`: what the console's Backups page reads, encryption included. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { describe, expect, test } from 'vitest';
import type { BackupsView } from './backups-shape.ts';
import { backupRoutes } from './routes.ts';
import { type BackupManifest, writeManifest } from './store.ts';

const manifest = (id: string, more: Partial<BackupManifest>): BackupManifest => ({
  format: 1,
  id,
  driver: 'pg',
  file: `${id}.dump`,
  bytes: 2048,
  sha256: 'ab'.repeat(32),
  startedAt: '2026-11-01T03:00:00.000Z',
  finishedAt: '2026-11-01T03:00:02.000Z',
  seconds: 2,
  server: 'PostgreSQL 15',
  database: 'cb',
  migration: '0001_init',
  tables: { 'public.ach_events': 3 },
  verifications: [],
  ...more,
});

describe('GET /v1/ops/backups', () => {
  test('default: each backup says whether it is encrypted and with which key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-backup-routes-'));
    await writeManifest(dir, manifest('cb-20261101T030000000Z-aaaa', {}));
    await writeManifest(
      dir,
      manifest('cb-20261102T030000000Z-bbbb', {
        file: 'cb-20261102T030000000Z-bbbb.dump.enc',
        encrypted: true,
        keyId: '0123456789abcdef',
        startedAt: '2026-11-02T03:00:00.000Z',
        finishedAt: '2026-11-02T03:00:02.000Z',
      }),
    );
    const app = Fastify();
    await app.register(
      backupRoutes({
        config: {
          backupDir: dir,
          dataDir: dir,
          rpoSeconds: 93_600,
          rtoSeconds: 3600,
          walArchiveMaxAgeSeconds: 3600,
        },
      }),
    );
    const reply = await app.inject({ method: 'GET', url: '/v1/ops/backups' });
    await app.close();
    expect(reply.statusCode).toBe(200);
    const view = reply.json<BackupsView>();
    expect(view.backups.map((b) => [b.id, b.encrypted, b.keyId])).toEqual([
      ['cb-20261102T030000000Z-bbbb', true, '0123456789abcdef'],
      ['cb-20261101T030000000Z-aaaa', false, null],
    ]);
  });
});
