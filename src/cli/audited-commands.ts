/**
 * The `cb` commands that change the database are recorded in the audit trail (seed 7.3: 记录所有
 * 管理操作), as the API's privileged changes are: actor `user@host`, action `cb <command>`, target
 * its arguments, details its options (redacted), outcome ok or failed with the exit code. The
 * record is written by `withDatabase` on the command's own connection when the command is done,
 * so only commands that open the configured database are recorded (`backup restore` opens the
 * restored one for it); read-only ones (list, status, verify, a reconcile without --fix) are not.
 */
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';

/** Command paths that change the database, each with the condition on its options. */
const AUDITED: Record<string, (opts: Record<string, unknown>) => boolean> = {
  migrate: () => true,
  'apikey create': () => true,
  'apikey revoke': () => true,
  'apikey rotate': () => true,
  'achievements import': () => true,
  'events retry-failed': (o) => o.dryRun !== true,
  'reconcile progress': (o) => o.fix === true,
  'reconcile chain': (o) => o.fix === true,
  'reconcile cache': (o) => o.fix === true,
  'reconcile systems': (o) => o.fix === true,
  'chain replay': () => true,
  'chain retry-failed-mints': (o) => o.dryRun !== true,
  // A change of the badge contract's roles is an on-chain administrative operation: recorded with
  // its transaction (noteAuditResult). A dry run and --calldata send nothing and open no database.
  'chain roles grant': (o) => o.dryRun !== true && o.calldata !== true,
  'chain roles revoke': (o) => o.dryRun !== true && o.calldata !== true,
  // `cb pause` without a switch only lists.
  pause: (o) => o.reason !== undefined,
  resume: () => true,
  // Recorded in the restored database once the restore is done (cli/backup.ts): the trail then
  // holds the backup's records and this one; the ones written after the backup are gone with it.
  'backup restore': () => true,
};

/** The command being run, when it is one to record. */
export interface AuditedCommand {
  action: string;
  target: string | null;
  options: Record<string, unknown>;
  actor: string;
  /** What the command did, when it says (noteAuditResult): kept in the record's details. */
  result?: Record<string, unknown> | undefined;
}

let current: AuditedCommand | undefined;

/** What `withDatabase` records after the command, if anything. */
export function auditedCommand(): AuditedCommand | undefined {
  return current;
}

/**
 * Adds what the running command did (e.g. the transaction it sent) to its audit record's details,
 * under `result`; nothing when the command is not one to record.
 */
export function noteAuditResult(result: Record<string, unknown>): void {
  if (current) current.result = { ...current.result, ...result };
}

/** The path of `command` under the root (`apikey create`). */
function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The OS user and host running the command (`USER` when the account has no name entry). */
export function cliActor(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}

/** Notes each command as it starts; call once on the root program. */
export function trackAuditedCommands(program: Command): void {
  program.hook('preAction', (_root, action) => {
    const path = pathOf(action);
    const options = action.opts() as Record<string, unknown>;
    const audited = AUDITED[path];
    current =
      audited?.(options) === true
        ? {
            action: `cb ${path}`,
            target: action.args.length > 0 ? action.args.join(' ') : null,
            options,
            actor: cliActor(),
          }
        : undefined;
  });
}
