/**
 * `cb audit list`, `cb audit verify` and `cb audit accept-break`: the audit trail of administrative
 * operations (seed 7.3; see src/ops/audit/audit-log.ts for what is recorded and how the hash chain
 * shows tampering). A verification is recorded like the daily job's
 * (src/ops/audit/audit-verifications.ts): every process exports it at its next sample.
 */
import type { Command } from 'commander';
import {
  type AuditBreak,
  type AuditOutcome,
  type AuditVerifyReport,
  acceptAuditBreak,
  listAudit,
} from '../ops/audit/audit-log.ts';
import { verifyAndRecordAudit } from '../ops/audit/audit-verifications.ts';
import { cliActor } from './audited-commands.ts';
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
    .description(
      'The audit trail of administrative operations: list it, verify its hash chain, accept a break that was looked into.',
    );
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
      'Recompute the hash chain from the retention cut to the head: a record changed, deleted or inserted after the fact shows as a broken link; every break is listed, accepted ones (cb audit accept-break) as known. Recorded like the daily check (cb_audit_chain_ok). Exit code 3 when a break is not accepted.',
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
      else printReport(report);
      if (!report.ok) process.exitCode = 3;
    });
  audit
    .command('accept-break')
    .description(
      'Record that the break at SEQ (from cb audit verify) was looked into: a record of the chain with its fingerprint, your reason and the incident. Verifications then list it as accepted and stop failing on it (cb_audit_chain_ok, AuditTrailBroken); any other break, or the same record changed again, still fails them. Nothing is repaired or deleted.',
    )
    .argument('<seq>', 'the broken record, as cb audit verify names it')
    .requiredOption('--reason <text>', 'what happened, and how you know (kept in the chain)')
    .option('--incident <id>', 'the incident that investigated it')
    .option('--json', 'print the verification after it as JSON')
    .action(async (seqText: string, opts: { reason: string; incident?: string; json?: boolean }) => {
      if (!/^\d{1,18}$/.test(seqText.trim()))
        throw new CliError(`SEQ must be a record's sequence number, got "${seqText}"`);
      const seq = String(BigInt(seqText.trim()));
      const reason = opts.reason.trim();
      if (reason.length < 10)
        throw new CliError('--reason must say what happened (at least 10 characters): it stays in the chain');
      const { result, report, notRecorded } = await withDatabase(async ({ db }) => {
        const result = await acceptAuditBreak(db, {
          seq,
          reason,
          incident: opts.incident?.trim() || undefined,
          actor: cliActor(),
        });
        if ('refused' in result) return { result, report: undefined, notRecorded: undefined };
        return { result, ...(await verifyAndRecordAudit(db, { trigger: 'cli' })) };
      });
      if ('refused' in result) {
        const r = result.refused;
        if (r.reason === 'already-accepted')
          throw new CliError(
            `the break at seq ${seq} was accepted already, by ${r.accepted.by} at ${r.accepted.at} (record ${r.accepted.seq}): ${r.accepted.reason}`,
          );
        if (r.reason === 'head')
          throw new CliError(
            `the break at seq ${seq} is the head not matching the last record: it cannot be accepted as it is. The next record written moves the head; the break then shows as that record's link, which cb audit accept-break takes`,
          );
        const open = r.breaks.filter((b) => !b.accepted).map((b) => b.seq);
        throw new CliError(
          open.length === 0
            ? `no break at seq ${seq}: the chain has no break to accept`
            : `no break at seq ${seq}; the breaks not accepted are at seq ${open.join(', ')}`,
        );
      }
      if (notRecorded)
        process.stderr.write(
          `cb: warning: the verification after it was not recorded (cb_audit_chain_ok keeps the previous result): ${notRecorded.message}\n`,
        );
      if (opts.json)
        printJson({
          accepted: result.accepted,
          record: { seq: result.record.seq, hash: result.record.hash },
          report,
        });
      else {
        printLine(
          `accepted the break at seq ${seq} (${result.accepted.problem}) in record ${result.record.seq}`,
        );
        printReport(report!);
      }
      if (!report!.ok) process.exitCode = 3;
    });
}

const describeBreak = (b: AuditBreak) =>
  `seq ${b.seq}: ${b.problem}${b.accepted ? ` — accepted by ${b.accepted.by} at ${b.accepted.at}${b.accepted.incident ? ` (${b.accepted.incident})` : ''}: ${b.accepted.reason}` : ''}`;

/** A verification for a terminal: what was checked, every break (accepted or not), the anchor. */
function printReport(report: AuditVerifyReport): void {
  printLine(
    `${report.checked} record(s) checked from seq ${BigInt(report.prunedThrough) + 1n} to the head (seq ${report.head.seq})`,
  );
  const open = report.breaks.filter((b) => !b.accepted);
  for (const b of open) printLine(`BROKEN at ${describeBreak(b)}`);
  if (report.breaksFound > report.breaks.length)
    printLine(`… and ${report.breaksFound - report.breaks.length} more break(s), not listed`);
  for (const b of report.breaks.filter((x) => x.accepted)) printLine(`known break at ${describeBreak(b)}`);
  if (report.anchor)
    printLine(
      report.anchor.pruned
        ? `anchor ${report.anchor.seq}: deleted by retention (up to seq ${report.prunedThrough}); not checked`
        : report.anchor.matches
          ? `anchor ${report.anchor.seq}: matches`
          : `anchor ${report.anchor.seq}: DOES NOT MATCH (the record is gone, or the chain was rewritten from there)`,
    );
  if (report.ok)
    printLine(
      report.breaks.length ? 'the chain is intact apart from the accepted breaks' : 'the chain is intact',
    );
}
