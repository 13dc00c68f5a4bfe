/**
 * `cb apikey create|list|rotate|revoke|review`: API keys of integrators and operators (seed 7.1
 * 访问控制). `review` is the permission review (src/platform/apikeys/review-api-keys.ts): what a
 * reviewer should act on, exit code 3 when something needs action.
 */
import type { Command } from 'commander';
import { listAudit } from '../ops/audit/audit-log.ts';
import {
  API_KEY_FINDINGS,
  type ApiKeyFindingKind,
  type ApiKeyReview,
  createApiKeys,
  parseScopes,
  reviewApiKeys,
} from '../platform/apikeys/index.ts';
import type { Queryable } from '../platform/db/create-db.ts';
import { parseDurationSeconds } from '../platform/duration.ts';
import { CliError, printJson, printLine, printTable } from './output.ts';
import { withDatabase } from './with-database.ts';

/** Each finding of `cb apikey review`: its heading, and what it means and what to do (--help). */
const FINDING_HELP: Record<ApiKeyFindingKind, { title: string; help: string }> = {
  'never-used': {
    title: 'Never used',
    help: 'created more than --unused-days ago and never presented to cb. Revoke it (cb apikey revoke ID) unless its holder is about to start using it. Needs action.',
  },
  unused: {
    title: 'Unused',
    help: 'last used more than --unused-days ago. Ask its holder; revoke it if it is no longer needed (a key nobody uses can only leak). Needs action.',
  },
  admin: {
    title: 'Holds admin (full access)',
    help: 'holds `admin`: every scope, including ones added later. Admin should be rare: keep it for the few who need everything and narrow the others (cb apikey rotate NAME --scopes a,b). Always listed; needs action when more working keys hold it than --max-admin.',
  },
  'unexercised-scopes': {
    title: 'Write/admin scopes never exercised',
    help: 'holds write or admin scopes, yet the audit trail shows no change made with it since it was created (more than --unused-days ago). If it only reads, narrow it to read scopes (cb apikey rotate NAME --scopes a:read,b:read). The trail records changes by key, not by scope, and not the event intake (events:*, counter:write, so those are not judged): a key that made any change is not listed, even if some of its scopes never served. To confirm, not an action by itself: an emergency scope such as governance:guardian may rightly stay unused.',
  },
  'rotation-due': {
    title: 'Due a rotation',
    help: 'older than CB_APIKEY_MAX_AGE_DAYS. Rotate it (cb apikey rotate NAME [--scopes …]) and hand the new key over within the grace period. Needs action.',
  },
  'in-grace': {
    title: "In a rotation's grace period",
    help: 'the old key of a rotation, working until its revocation time. Needs action when it was used after the rotation: its holder has not switched, and loses access when the grace period ends. Otherwise it ends by itself (or now: cb apikey revoke ID).',
  },
};

/** `--scopes a, b,c` as a list (validated by `parseScopes` or the operation). */
function scopeList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A whole number from `min` to `max` for `option`; a usage error (exit 2) otherwise. */
function wholeNumber(text: string, option: string, min: number, max: number): number {
  const n = /^\d{1,6}$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(n >= min && n <= max))
    throw new CliError(`${option} must be a whole number from ${min} to ${max}, got "${text}"`, 2);
  return n;
}

/**
 * The latest change the audit trail recorded with the key named `name` since `since`: an API
 * operation (not a `cb` command or cb's own record of that name) that passed the scope check
 * (not `refused`).
 */
async function lastChange(db: Queryable, name: string, since: Date): Promise<Date | undefined> {
  let before: string | undefined;
  for (;;) {
    const page = await listAudit(db, { actor: name, since, before, limit: 500 });
    const hit = page.items.find((r) => r.actorKind === 'api_key' && r.outcome !== 'refused');
    if (hit) return new Date(hit.at);
    if (page.nextBefore === undefined) return undefined;
    before = page.nextBefore;
  }
}

export function registerApikey(program: Command): void {
  const apikey = program
    .command('apikey')
    .description('Manage API keys for integrators and admins (only a hash of each key is stored).');

  apikey
    .command('create')
    .description('Create a key and print it once: store it now, it cannot be shown again.')
    .requiredOption('--name <name>', 'a unique name, e.g. partner-shop (1-64 of A-Z a-z 0-9 . _ -)')
    .requiredOption(
      '--scopes <scopes>',
      'comma-separated: admin, or <resource>:<action> (events:write, events:read, achievements:admin, incidents:write, …)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { name: string; scopes: string; json?: boolean }) => {
      const scopes = scopeList(opts.scopes);
      const created = await withDatabase(({ db, logger }) =>
        createApiKeys({ db, logger }).create({ name: opts.name, scopes: parseScopes(scopes) }),
      );
      if (opts.json) printJson(created);
      else {
        printLine(
          `created API key "${created.name}" (id ${created.id}) with scopes ${created.scopes.join(', ')}`,
        );
        printLine('');
        printLine(`  ${created.key}`);
        printLine('');
        printLine(
          'This is the only time the key is shown. Send it as "Authorization: Bearer <key>" or "X-API-Key: <key>".',
        );
      }
    });

  apikey
    .command('list')
    .description('List keys (never their secrets).')
    .option('--all', 'include revoked keys')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const keys = await withDatabase(({ db, logger }) =>
        createApiKeys({ db, logger }).list({ includeRevoked: opts.all === true }),
      );
      if (opts.json) printJson(keys);
      else if (keys.length === 0)
        printLine('no API keys (create one with: cb apikey create --name N --scopes a,b)');
      else
        printTable(
          keys.map((k) => ({ ...k, scopes: k.scopes.join(','), age: ageOf(k.createdAt) })),
          ['id', 'name', 'scopes', 'createdAt', 'age', 'lastUsedAt', 'revokedAt'],
        );
    });

  apikey
    .command('rotate')
    .description(
      'Rotate a key (seed 7.1 定期轮换密钥): a new key with the same name and scopes (or fewer, with --scopes), printed once; the old one keeps working for the grace period, so its holder can switch without an outage.',
    )
    .argument('<idOrName>', 'the key id (from list) or its name')
    .option(
      '--grace <duration>',
      'how long the old key keeps working: 0, or a number with s, m, h or d (at most 30d)',
      '24h',
    )
    .option(
      '--scopes <scopes>',
      "the new key's scopes, comma-separated, each granted by the old key's (admin grants all, <resource>:admin its resource): narrow a key without a gap (default: the old key's)",
    )
    .option('--json', 'print the result as JSON')
    .action(async (idOrName: string, opts: { grace: string; scopes?: string; json?: boolean }) => {
      const graceSeconds = parseGrace(opts.grace);
      const scopes = opts.scopes === undefined ? undefined : parseScopes(scopeList(opts.scopes));
      const rotated = await withDatabase(({ db, logger }) =>
        createApiKeys({ db, logger }).rotate(idOrName, { graceSeconds, scopes }),
      );
      if (opts.json) printJson(rotated);
      else {
        const { created, previous } = rotated;
        const changed =
          created.scopes.length !== previous.scopes.length ||
          created.scopes.some((s) => !previous.scopes.includes(s));
        printLine(
          `rotated API key "${created.name}": new id ${created.id}, scopes ${created.scopes.join(', ')}${changed ? ` (was ${previous.scopes.join(', ')})` : ''}`,
        );
        printLine('');
        printLine(`  ${created.key}`);
        printLine('');
        printLine(
          graceSeconds === 0
            ? `The old key (id ${previous.id}) no longer works.`
            : `The old key (id ${previous.id}) works until ${previous.revokedAt?.toISOString()}: hand the new one over before then.`,
        );
        printLine('This is the only time the new key is shown.');
      }
    });

  apikey
    .command('revoke')
    .description(
      'Revoke a key by id or name; it stops working at once here and within seconds on running instances.',
    )
    .argument('<idOrName>', 'the key id (from list) or its name')
    .option('--json', 'print the result as JSON')
    .action(async (idOrName: string, opts: { json?: boolean }) => {
      const revoked = await withDatabase(({ db, logger }) => createApiKeys({ db, logger }).revoke(idOrName));
      if (opts.json) printJson(revoked);
      else printLine(`revoked API key "${revoked.name}" (id ${revoked.id})`);
    });

  apikey
    .command('review')
    .description(
      'Review the permissions of every working key (seed 7.1 最小权限原则, 定期审查和调整权限): never used, unused, admin, write/admin scopes never exercised, due a rotation, a rotated key still in its grace period. Run it monthly. Exit code 3 when something needs action.',
    )
    .option(
      '--unused-days <days>',
      'flag keys never used and older than this, or not used for longer (0: skip the usage findings) (default: CB_APIKEY_UNUSED_DAYS, 30)',
    )
    .option('--max-admin <n>', 'working keys that may hold admin before they need action', '1')
    .option('--json', 'print the review as JSON')
    .addHelpText(
      'after',
      `
Findings (a key can have several; each line says what to do):
${API_KEY_FINDINGS.map((k) => wrap(`  ${k.padEnd(19)} `, FINDING_HELP[k].help)).join('\n')}

Keys due a rotation use CB_APIKEY_MAX_AGE_DAYS (180; 0: skip). What a key's use records: its last use
(at most once a minute) and, in the audit trail, the changes made with it; so cb can tell a key that
never changed anything, not a scope that never served.

Exit code 3 when a finding needs action, 0 otherwise (the others are listed to confirm): run it
monthly from cron and alert on 3. --json: { reviewedAt, limits, keys, needsAction, findings[] },
each finding { kind, needsAction, key, ageDays, idleDays, message, … }.`,
    )
    .action(async (opts: { unusedDays?: string; maxAdmin: string; json?: boolean }) => {
      const maxAdminKeys = wholeNumber(opts.maxAdmin, '--max-admin', 0, 100_000);
      const flagDays =
        opts.unusedDays === undefined ? undefined : wholeNumber(opts.unusedDays, '--unused-days', 0, 36_500);
      const review = await withDatabase(({ db, config }) =>
        reviewApiKeys(db, {
          unusedDays: flagDays ?? config.apiKeyUnusedDays,
          maxAgeDays: config.apiKeyMaxAgeDays,
          maxAdminKeys,
          lastChange: ({ name, since }) => lastChange(db, name, since),
        }),
      );
      if (opts.json) printJson(review);
      else printReview(review);
      if (review.needsAction) process.exitCode = 3;
    });
}

/**
 * `head` then `text`, wrapped at 100 columns with the following lines indented as deep as `head`;
 * a parenthesis (a command to run) is not broken.
 */
function wrap(head: string, text: string): string {
  const lines: string[] = [];
  let line = head;
  for (const word of text.match(/(?:\([^)]*\)|[^\s(])+/g) ?? []) {
    if (line.trim() !== '' && line.length + 1 + word.length > 100) {
      lines.push(line);
      line = ' '.repeat(head.length) + word;
    } else line = line.endsWith(' ') ? line + word : `${line} ${word}`;
  }
  return [...lines, line].join('\n');
}

/** A limit in days, or `off` for 0. */
function days(n: number): string {
  return n === 0 ? 'off' : `${n} d`;
}

/** The review as text: a summary, then the findings grouped, each key on one line. */
function printReview(review: ApiKeyReview): void {
  const { keys, limits, findings } = review;
  printLine(
    `API key review at ${review.reviewedAt.toISOString()}: ${keys.working} working key(s), ${keys.inGrace} in a rotation's grace period, ${keys.admin} holding admin`,
  );
  printLine(
    `limits: unused after ${days(limits.unusedDays)}, rotation after ${days(limits.maxAgeDays)}, at most ${limits.maxAdminKeys} admin key(s)`,
  );
  for (const kind of API_KEY_FINDINGS) {
    const group = findings.filter((f) => f.kind === kind);
    if (group.length === 0) continue;
    printLine('');
    printLine(`${FINDING_HELP[kind].title} (${group.length}):`);
    for (const f of group)
      printLine(
        `  ${f.needsAction ? 'ACT  ' : 'check'}  ${f.key.name} (id ${f.key.id}; ${f.key.scopes.join(',')}): ${f.message}`,
      );
  }
  printLine('');
  const acts = findings.filter((f) => f.needsAction).length;
  if (findings.length === 0) printLine('no findings: nothing needs action');
  else if (acts === 0) printLine(`nothing needs action; ${findings.length} finding(s) to confirm (check)`);
  else
    printLine(
      `${acts} finding(s) need action (ACT), ${findings.length - acts} to confirm (check): exit code 3`,
    );
}

/** `--grace`: 0, or a whole number with s, m, h or d; at most 30 days. */
export function parseGrace(text: string): number {
  const seconds = /^0+$/.test(text.trim()) ? 0 : parseDurationSeconds(text);
  if (seconds === undefined || seconds > 30 * 86_400)
    throw new CliError(
      `--grace must be 0 or a number with s, m, h or d, at most 30d (e.g. 24h), got "${text}"`,
    );
  return seconds;
}

/** Whole days since `created` (a key's age, against CB_APIKEY_MAX_AGE_DAYS). */
function ageOf(created: Date): string {
  return `${Math.floor((Date.now() - new Date(created).getTime()) / 86_400_000)} d`;
}
