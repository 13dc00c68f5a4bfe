import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { importCatalogue, runRetroactive } from '../achievements/index.ts';
import { CliError, printJson, printLine, printTable } from './output.ts';
import { withDatabase } from './with-database.ts';

export function registerAchievements(program: Command): void {
  const achievements = program.command('achievements').description('Manage the achievement catalogue.');
  achievements
    .command('import')
    .description(
      'Import a catalogue file (YAML or JSON: a list, or { achievements: [...] }). Idempotent: unchanged definitions keep their version; changed rules are evaluated over the event history.',
    )
    .argument('<file>', 'path of the catalogue file')
    .option('--no-retroactive', 'do not evaluate new or changed rules over the stored events now')
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
        if (opts.retroactive) {
          for (const s of saved.filter((x) => x.needsRetroactive)) {
            if (!opts.json) process.stderr.write(`evaluating ${s.id} over the event history…\n`);
            retro.push(await runRetroactive(ctx, s.id));
          }
        }
        return { saved, retroactive: retro };
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
      }
    });
}
