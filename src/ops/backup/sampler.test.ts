import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createMetrics, type Metrics } from '../../platform/metrics.ts';
import { sampleBackups } from './sampler.ts';
import { type BackupManifest, writeManifest } from './store.ts';

const value = async (metrics: Metrics, name: string) => {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values as { value: number }[] | undefined)?.[0]?.value;
};

function manifest(id: string, finishedAt: string, bytes: number): BackupManifest {
  return {
    format: 1,
    id,
    driver: 'pg',
    file: `${id}.dump`,
    bytes,
    sha256: 'a'.repeat(64),
    startedAt: finishedAt,
    finishedAt,
    seconds: 1,
    server: 'PostgreSQL 15',
    database: 'cb',
    migration: '0050_web',
    tables: {},
    verifications: [],
  };
}

describe('backup sampler', () => {
  test('default: an empty backup directory reads as no backup and no drill; the objectives are exported', async () => {
    const metrics = createMetrics();
    const config = {
      backupDir: join(mkdtempSync(join(tmpdir(), 'cb-sample-')), 'absent'),
      dataDir: '.',
      rpoSeconds: 7200,
      rtoSeconds: 600,
    };
    await sampleBackups({ config, metrics });
    expect(await value(metrics, 'cb_backup_last_success_timestamp_seconds')).toBe(0);
    expect(await value(metrics, 'cb_backup_drill_last_timestamp_seconds')).toBe(0);
    expect(await value(metrics, 'cb_backup_drill_last_passed')).toBe(0);
    expect(await value(metrics, 'cb_backup_rpo_seconds')).toBe(7200);
    expect(await value(metrics, 'cb_backup_rto_seconds')).toBe(600);
  });

  test('behavior: the newest backup and the newest readable drill report are exported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-sample-'));
    await writeManifest(dir, manifest('cb-20261101T030000000Z-aaaa', '2026-11-01T03:00:05.000Z', 100));
    await writeManifest(dir, manifest('cb-20261102T030000000Z-bbbb', '2026-11-02T03:00:07.000Z', 250));
    writeFileSync(join(dir, 'cb-20261103T030000000Z-cccc.dump.partial'), 'half'); // a backup that never finished
    mkdirSync(join(dir, 'drills'));
    writeFileSync(
      join(dir, 'drills', 'drill-20261001T100000000Z-aaaa.json'),
      JSON.stringify({ at: '2026-10-01T10:00:00.000Z', ok: true, recoverySeconds: 12.5 }),
    );
    writeFileSync(
      join(dir, 'drills', 'drill-20261105T100000000Z-bbbb.json'),
      JSON.stringify({ at: '2026-11-05T10:00:00.000Z', ok: false, recoverySeconds: 4000 }),
    );
    writeFileSync(join(dir, 'drills', 'drill-20261106T100000000Z-cccc.json'), '{"at": trunc');
    const metrics = createMetrics();
    await sampleBackups({
      config: { backupDir: dir, dataDir: '.', rpoSeconds: 93_600, rtoSeconds: 3600 },
      metrics,
    });
    expect(await value(metrics, 'cb_backup_last_success_timestamp_seconds')).toBe(
      Date.parse('2026-11-02T03:00:07.000Z') / 1000,
    );
    expect(await value(metrics, 'cb_backup_last_size_bytes')).toBe(250);
    expect(await value(metrics, 'cb_backup_drill_last_timestamp_seconds')).toBe(
      Date.parse('2026-11-05T10:00:00.000Z') / 1000,
    );
    expect(await value(metrics, 'cb_backup_drill_last_passed')).toBe(0);
    expect(await value(metrics, 'cb_backup_drill_last_recovery_seconds')).toBe(4000);
  });
});
