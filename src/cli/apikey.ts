import type { Command } from 'commander';
import { createApiKeys, parseScopes } from '../platform/apikeys/index.ts';
import { printJson, printLine, printTable } from './output.ts';
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
          keys.map((k) => ({ ...k, scopes: k.scopes.join(',') })),
          ['id', 'name', 'scopes', 'createdAt', 'lastUsedAt', 'revokedAt'],
        );
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
