/**
 * `cb audit list` and `cb audit verify`: the audit trail of administrative operations (seed 7.3;
 * see src/ops/audit/audit-log.ts for what is recorded and how the hash chain shows tampering).
 * A verification is recorded like the daily job's (src/ops/audit/audit-verifications.ts): every
 * process exports it at its next sample.
 */
import type { Command } from 'commander';
import { type AuditOutcome, listAudit, verifyAndRecordAudit } from '../ops/index.ts';
import { CliError, printJson, printLine, printTable, progressWriter } from './output.ts';
import { withDatabase } from './with-database.ts';

const OUTCOMES = ['ok', 'failed', 'refused'];

function date(value: string, option: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new CliError(`${option} must be a date or time (ISO 8601), got "${value}"`);
  return d;
}

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('The audit trail of administrative operations: list it, verify its hash chain.');
  audit
    .command('list')
    .description(
      'Recorded operations, newest first: API changes made with a privileged key, and database-changing cb commands.',
    )
    .option('--actor <name>', 'only this actor (an API key name, or user@host)')
    .option('--action <text>', 'only actions containing this text (e.g. "achievements", "POST", "cb apikey")')
    .option('--outcome <outcome>', 'only ok, failed or refused')
    .option('--since <time>', 'from this time (ISO 8601)')
    .option('--until <time>', 'before this time (ISO 8601)')
    .option('--limit <n>', 'at most this many (1–10000)', '50')
    .option('--json', 'print the records as JSON, with their hashes')
    .action(
      async (opts: {
        actor?: string;
        action?: string;
        outcome?: string;
        since?: string;
        until?: string;
        limit: string;
        json?: boolean;
      }) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
          throw new CliError(`--limit must be a whole number from 1 to 10000, got "${opts.limit}"`);
        if (opts.outcome !== undefined && !OUTCOMES.includes(opts.outcome))
          throw new CliError(`--outcome must be ok, failed or refused, got "${opts.outcome}"`);
        const filter = {
          actor: opts.actor,
          action: opts.action,
          outcome: opts.outcome as AuditOutcome | undefined,
          since: opts.since === undefined ? undefined : date(opts.since, '--since'),
          until: opts.until === undefined ? undefined : date(opts.until, '--until'),
          limit,
        };
        const { items } = await withDatabase(({ db }) => listAudit(db, filter));
        if (opts.json) return printJson(items);
        if (items.length === 0) return printLine('no recorded operation matches');
        printTable(
          items.map((r) => ({
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target: r.target ?? '',
            outcome: r.status === null ? r.outcome : `${r.outcome} (${r.status})`,
          })),
          ['seq', 'at', 'actor', 'action', 'target', 'outcome'],
        );
      },
    );
  audit
    .command('verify')
    .description(
      'Recompute the hash chain from the retention cut to the head: a record changed, deleted or inserted after the fact shows as the first broken link. Recorded like the daily check (cb_audit_chain_ok). Exit code 3 when broken.',
    )
    .option(
      '--anchor <seq:hash>',
      'also check that record SEQ has HASH (from an "audit recorded" log line kept elsewhere): catches a chain rewritten from that record on',
    )
    .option('--json', 'print the report as JSON')
    .action(async (opts: { anchor?: string; json?: boolean }) => {
      let anchor: { seq: string; hash: string } | undefined;
      if (opts.anchor !== undefined) {
        const m = /^(\d{1,18}):([0-9a-f]{64})$/.exec(opts.anchor.trim());
        if (!m)
          throw new CliError(
            `--anchor must be SEQ:HASH (a number, a colon, 64 hex digits), got "${opts.anchor}"`,
          );
        anchor = { seq: String(BigInt(m[1]!)), hash: m[2]! };
      }
      const progress = progressWriter('audit verify');
      const { report, notRecorded } = await withDatabase(({ db }) =>
        verifyAndRecordAudit(db, {
          trigger: 'cli',
          anchor,
          onProgress: (n) => progress(() => `${n} record(s) checked`),
        }),
      );
      // The check itself stands: a database refusing the write (a read-only replica) only costs the
      // gauges this result.
      if (notRecorded)
        process.stderr.write(
          `cb: warning: this verification was not recorded (cb_audit_chain_ok keeps the previous result): ${notRecorded.message}\n`,
        );
      if (opts.json) printJson(report);
      else {
        printLine(
          `${report.checked} record(s) checked from seq ${BigInt(report.prunedThrough) + 1n} to the head (seq ${report.head.seq})`,
        );
        if (report.broken) printLine(`BROKEN at seq ${report.broken.seq}: ${report.broken.problem}`);
        if (report.anchor)
          printLine(
            report.anchor.pruned
              ? `anchor ${report.anchor.seq}: deleted by retention (up to seq ${report.prunedThrough}); not checked`
              : report.anchor.matches
                ? `anchor ${report.anchor.seq}: matches`
                : `anchor ${report.anchor.seq}: DOES NOT MATCH (the record is gone, or the chain was rewritten from there)`,
          );
        if (report.ok) printLine('the chain is intact');
      }
      if (!report.ok) process.exitCode = 3;
    });
}
