import type { Command } from 'commander';
import { createApiKeys, parseScopes } from '../platform/apikeys/index.ts';
import { parseDurationSeconds } from '../platform/duration.ts';
import { CliError, printJson, printLine, printTable } from './output.ts';
import { withDatabase } from './with-database.ts';

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
      const scopes = opts.scopes
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
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
      'Rotate a key (seed 7.1 定期轮换密钥): a new key with the same name and scopes, printed once; the old one keeps working for the grace period, so its holder can switch without an outage.',
    )
    .argument('<idOrName>', 'the key id (from list) or its name')
    .option(
      '--grace <duration>',
      'how long the old key keeps working: 0, or a number with s, m, h or d (at most 30d)',
      '24h',
    )
    .option('--json', 'print the result as JSON')
    .action(async (idOrName: string, opts: { grace: string; json?: boolean }) => {
      const graceSeconds = parseGrace(opts.grace);
      const rotated = await withDatabase(({ db, logger }) =>
        createApiKeys({ db, logger }).rotate(idOrName, { graceSeconds }),
      );
      if (opts.json) printJson(rotated);
      else {
        const { created, previous } = rotated;
        printLine(
          `rotated API key "${created.name}": new id ${created.id}, scopes ${created.scopes.join(', ')}`,
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
