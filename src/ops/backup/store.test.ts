import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { toolConnection } from './postgres.ts';
import { listBackups, removeLeftovers } from './store.ts';

const DAY = 86_400_000;

describe('the backup directory', () => {
  test('behavior: leftovers of interrupted backups go once a day old; whole backups and young files stay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-leftovers-'));
    const files = {
      whole: 'cb-20261101T030000000Z-aaaa.dump',
      wholeManifest: 'cb-20261101T030000000Z-aaaa.json',
      orphan: 'cb-20261102T030000000Z-bbbb.dump',
      partial: 'cb-20261103T030000000Z-cccc.tar.gz.partial-123',
      encryptedPartial: 'cb-20261105T030000000Z-eeee.dump.enc.partial-789',
      encryptedOrphan: 'cb-20261106T030000000Z-ffff.tar.gz.enc',
      partialManifest: 'cb-20261103T030000000Z-cccc.json.partial-123-abcdef',
      young: 'cb-20261104T030000000Z-dddd.dump.partial-456',
      other: 'notes.txt',
    };
    for (const name of Object.values(files)) writeFileSync(join(dir, name), '{}');
    const old = new Date(Date.now() - 2 * DAY);
    for (const name of [
      files.whole,
      files.wholeManifest,
      files.orphan,
      files.partial,
      files.partialManifest,
      files.encryptedPartial,
      files.encryptedOrphan,
      files.other,
    ])
      utimesSync(join(dir, name), old, old);
    expect((await removeLeftovers(dir)).sort()).toEqual(
      [
        files.orphan,
        files.partial,
        files.partialManifest,
        files.encryptedPartial,
        files.encryptedOrphan,
      ].sort(),
    );
    expect(readdirSync(dir).sort()).toEqual(
      [files.whole, files.wholeManifest, files.young, files.other].sort(),
    );
  });

  test('error: a manifest without its times is unreadable, not a backup (the listing still works)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-manifests-'));
    const id = 'cb-20261101T030000000Z-aaaa';
    writeFileSync(
      join(dir, `${id}.json`),
      JSON.stringify({ format: 1, id, driver: 'pg', file: `${id}.dump`, bytes: 1, sha256: 'a', tables: {} }),
    );
    const listing = await listBackups(dir);
    expect(listing.backups).toEqual([]);
    expect(listing.unreadable[0]).toContain('not a cb backup manifest');
  });

  test("error: an encrypted backup's manifest must name its key and its .enc file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-manifests-enc-'));
    const base = {
      format: 1,
      driver: 'pg',
      bytes: 1,
      sha256: 'a',
      tables: {},
      startedAt: '2026-11-01T03:00:00.000Z',
      finishedAt: '2026-11-01T03:00:01.000Z',
    };
    const manifests = {
      'cb-20261101T030000000Z-aaaa': {
        encrypted: true,
        keyId: '0123456789abcdef',
        file: 'cb-20261101T030000000Z-aaaa.dump.enc',
      },
      'cb-20261102T030000000Z-bbbb': { encrypted: true, file: 'cb-20261102T030000000Z-bbbb.dump.enc' },
      'cb-20261103T030000000Z-cccc': {
        encrypted: true,
        keyId: '0123456789abcdef',
        file: 'cb-20261103T030000000Z-cccc.dump',
      },
      'cb-20261104T030000000Z-dddd': { file: 'cb-20261104T030000000Z-dddd.dump' },
    };
    for (const [id, m] of Object.entries(manifests))
      writeFileSync(join(dir, `${id}.json`), JSON.stringify({ ...base, id, ...m }));
    const listing = await listBackups(dir);
    expect(listing.backups.map((b) => [b.id, b.encrypted === true])).toEqual([
      ['cb-20261104T030000000Z-dddd', false],
      ['cb-20261101T030000000Z-aaaa', true],
    ]);
    expect(listing.unreadable).toHaveLength(2);
  });

  test('behavior: the tools get no password on their command line, from the userinfo or a parameter', () => {
    for (const url of [
      'postgres://cb:hunter2@db:5432/cb',
      'postgres://cb@db:5432/cb?password=hunter2&sslmode=require',
    ]) {
      const c = toolConnection(url);
      expect(c.url).not.toContain('hunter2');
      expect(c.env.PGPASSWORD).toBe('hunter2');
    }
    expect(toolConnection('postgres://cb@db:5432/cb?password=hunter2&sslmode=require').url).toContain(
      'sslmode=require',
    );
  });
});
