import { Type } from 'typebox';
import { describe, expect, test } from 'vitest';
import { createTestDatabase, TEST_DRIVER } from '../../../test/services.ts';
import { createDb } from '../db/create-db.ts';
import { migrate } from '../db/migrate.ts';
import { createSilentLogger } from '../logger.ts';
import { createJobs } from './create-jobs.ts';
import { defineJob } from './define-job.ts';
import { createTestCommon } from './test-support.ts';

// PGlite is one in-process session (and its data dir admits one process): nothing can race there.
describe.skipIf(TEST_DRIVER !== 'pg')('start', () => {
  test('behavior: instances starting together on a fresh PostgreSQL database all start', async () => {
    const database = await createTestDatabase();
    const instances = await Promise.all(
      ['race-a', 'race-b', 'race-c'].map(async (name) => {
        const common = createTestCommon({ instance: name });
        const db = await createDb({
          databaseUrl: database.url,
          dataDir: 'memory://',
          poolMax: 4,
          slowQueryMs: 10_000,
          logger: createSilentLogger(),
          metrics: common.metrics,
        });
        return { common, db };
      }),
    );
    try {
      for (const { db } of instances) await migrate(db, createSilentLogger());
      const defs = ['r.one', 'r.two', 'r.three'].map((queue) =>
        defineJob({ queue, payload: Type.Object({}), schedule: { cron: '* * * * *' } }),
      );
      const all = instances.map(({ common, db }) => {
        const jobs = createJobs({ common, db, options: { registerShutdown: false } });
        for (const def of defs) jobs.register(def, () => {});
        return jobs;
      });
      const results = await Promise.allSettled(all.map((j) => j.start()));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      expect((await all[0]!.stats()).map((s) => s.queue)).toEqual(['r.one', 'r.three', 'r.two']);
      await Promise.all(all.map((j) => j.stop()));
    } finally {
      for (const { db } of instances) await db.close();
      await database.drop();
    }
  });
});
