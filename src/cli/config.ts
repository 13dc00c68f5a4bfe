/**
 * `cb config show [--json]`: the settings in effect (environment, else the documented default),
 * with secrets hidden and URLs cut to scheme and host — safe to paste into an incident or to keep
 * under version control (seed 5.3: 配置：版本控制，定期快照). Each `cb backup create` keeps the same
 * snapshot in its manifest. `cb config check` only validates: exit 1 with one line per bad setting.
 */
import type { Command } from 'commander';
import { settingsSnapshot } from '../platform/config.ts';
import { cliConfig } from './load-config.ts';
import { printJson, printLine, printTable } from './output.ts';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('Show or check the settings in effect.');
  config
    .command('show')
    .description('The settings in effect, secrets hidden and URLs cut to scheme and host.')
    .option('--changed', 'only the settings set in the environment')
    .option('--json', 'print them as JSON')
    .action((opts: { changed?: boolean; json?: boolean }) => {
      cliConfig(); // a bad setting stops here, by name
      const rows = settingsSnapshot(process.env).filter((s) => !opts.changed || s.source === 'env');
      if (opts.json) printJson(rows);
      else
        printTable(
          rows.map((r) => ({ ...r })),
          ['env', 'value', 'source'],
        );
    });
  config
    .command('check')
    .description('Validate the settings as cb start would; exit 1 with one line per bad setting.')
    .action(() => {
      cliConfig();
      printLine('configuration ok');
    });
}
