/**
 * `cb pause [minting|execution] --reason T` and `cb resume <minting|execution>`: the emergency
 * pauses of the chain writers (src/ops/pauses) from the command line — for the operator on the box
 * in an incident, API keys or not. Without a switch, `cb pause` lists them. Recorded in the audit
 * trail (audited-commands.ts). Takes effect on every instance within a minter poll interval.
 */
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { clearPause, listPauses, PAUSE_SWITCHES, type PauseSwitch, setPause } from '../ops/pauses/pauses.ts';
import { CliError, printJson, printLine, printTable } from './output.ts';
import { withDatabase } from './with-database.ts';

const WHAT: Record<PauseSwitch, string> = {
  minting: 'the minter signs nothing new (no batch, no replacement); unlocks keep queuing',
  execution: 'no passed proposal is executed, by the clock or by hand; they stay queued',
};

function switchOf(raw: string): PauseSwitch {
  if ((PAUSE_SWITCHES as readonly string[]).includes(raw)) return raw as PauseSwitch;
  throw new CliError(`no switch "${raw}": one of ${PAUSE_SWITCHES.join(', ')}`, 2);
}

export function registerPause(program: Command): void {
  program
    .command('pause')
    .argument('[switch]', `what to stop: ${PAUSE_SWITCHES.join(' or ')} (none: list the pauses)`)
    .description(
      'An emergency stop of a chain writer on every instance, without a deploy: minting (the minter signs nothing new) or execution (no passed proposal runs). Undo with cb resume.',
    )
    .option('--reason <text>', 'why (1-500 characters; shown to operators and kept in the audit trail)')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      `
For an incident: a minter or executor key that may be compromised, a bug minting the wrong badges, a
passed proposal that must not run. Paused, the minter still follows the receipts of what it sent and
the queued proposals still expire at the end of their grace period. Exported as
cb_ops_paused_since_timestamp_seconds; MintingPaused / ExecutionPaused (P3) remind after an hour.
Example:
  cb pause minting --reason "minter key exposed in CI logs, rotating (INC-42)"`,
    )
    .action(async (raw: string | undefined, opts: { reason?: string; json?: boolean }) => {
      if (raw === undefined) {
        if (opts.reason !== undefined) throw new CliError('--reason needs a switch to pause', 2);
        const pauses = await withDatabase(({ db }) => listPauses(db), { migrate: false });
        if (opts.json) return printJson({ pauses });
        const paused = new Map(pauses.map((p) => [p.name, p]));
        printTable(
          PAUSE_SWITCHES.map((name) => {
            const p = paused.get(name);
            return {
              switch: name,
              state: p ? 'PAUSED' : 'running',
              since: p?.pausedAt ?? '-',
              by: p?.pausedBy ?? '-',
              reason: p?.reason ?? '-',
            };
          }),
          ['switch', 'state', 'since', 'by', 'reason'],
        );
        return;
      }
      const name = switchOf(raw);
      const reason = opts.reason?.trim() ?? '';
      if (reason.length === 0 || reason.length > 500)
        throw new CliError('--reason is required (1-500 characters): say why, for the others on call', 2);
      const pausedBy = `${userInfo().username}@${hostname()}`;
      const { pause, already } = await withDatabase(({ db }) => setPause(db, name, { reason, pausedBy }));
      if (opts.json) return printJson({ ...pause, already });
      printLine(`${name} ${already ? 'was already paused (reason updated)' : 'paused'}: ${WHAT[name]}.`);
      printLine(`Resume with: cb resume ${name}`);
    });

  program
    .command('resume')
    .argument('<switch>', `what to start again: ${PAUSE_SWITCHES.join(' or ')}`)
    .description('Lift an emergency pause (cb pause): the writer picks up where it stopped.')
    .option('--json', 'print as JSON')
    .action(async (raw: string, opts: { json?: boolean }) => {
      const name = switchOf(raw);
      const lifted = await withDatabase(({ db }) => clearPause(db, name));
      if (opts.json) return printJson({ name, resumed: lifted !== undefined, pause: lifted ?? null });
      printLine(
        lifted
          ? `${name} resumed (paused since ${lifted.pausedAt} by ${lifted.pausedBy}: ${lifted.reason}).`
          : `${name} was not paused.`,
      );
    });
}
