import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  importCatalogue,
  retroactiveJob,
  runRetroactive,
  type SavedAchievement,
} from '../achievements/index.ts';
import { createJobs } from '../platform/jobs/index.ts';
import { createShutdown } from '../platform/shutdown.ts';
import { CliError, printJson, printLine, printTable } from './output.ts';
import { type CliContext, withDatabase } from './with-database.ts';

export function registerAchievements(program: Command): void {
  const achievements = program.command('achievements').description('Manage the achievement catalogue.');
  achievements
    .command('import')
    .description(
      'Import a catalogue file (YAML or JSON: a list, or { achievements: [...] }). Idempotent: unchanged definitions keep their version; changed rules are evaluated over the event history.',
    )
    .argument('<file>', 'path of the catalogue file')
    .option(
      '--no-retroactive',
      "do not evaluate new or changed rules over the stored events now: queue that evaluation for the workers instead (cb start's job queue)",
    )
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { retroactive: boolean; json?: boolean }) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new CliError(
          `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      const result = await withDatabase(async (ctx) => {
        const saved = await importCatalogue(ctx.db, text, 'cli');
        const retro = [];
        const due = saved.filter((x) => x.needsRetroactive);
        if (opts.retroactive) {
          for (const s of due) {
            if (!opts.json) process.stderr.write(`evaluating ${s.id} over the event history…\n`);
            retro.push(await runRetroactive(ctx, s.id));
          }
        }
        const queued = opts.retroactive ? [] : await queueRetroactive(ctx, due);
        return { saved, retroactive: retro, queued };
      });
      if (opts.json) printJson(result);
      else {
        printTable(
          result.saved.map((s) => ({
            ...s,
            unlocked: result.retroactive.find((r) => r.achievementId === s.id)?.unlocks ?? '-',
          })),
          ['id', 'version', 'outcome', 'unlocked'],
        );
        const counts = ['created', 'updated', 'unchanged'].map(
          (o) => `${result.saved.filter((s) => s.outcome === o).length} ${o}`,
        );
        printLine(`\n${counts.join(', ')}`);
        if (result.queued.length > 0)
          printLine(
            `queued for the workers: ${result.queued.join(', ')} evaluated over the event history (cb start runs it)`,
          );
      }
    });
}

/**
 * The evaluation over past events of `due`, queued as the API's saves queue it (one job per
 * achievement version), for a worker to run: what `--no-retroactive` leaves to the job queue.
 */
async function queueRetroactive(ctx: CliContext, due: readonly SavedAchievement[]): Promise<string[]> {
  if (due.length === 0) return [];
  const jobs = createJobs({
    common: { ...ctx, shutdown: createShutdown({ graceMs: ctx.config.shutdownGraceMs, logger: ctx.logger }) },
    db: ctx.db,
    options: { registerShutdown: false },
  });
  await jobs.start({ workers: false });
  try {
    for (const s of due)
      await jobs.send(retroactiveJob, { achievementId: s.id }, { singletonKey: `${s.id}@${s.version}` });
  } finally {
    await jobs.stop();
  }
  return due.map((s) => s.id);
}
