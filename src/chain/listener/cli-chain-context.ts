/**
 * For the chain commands (`cb chain replay`, `cb reconcile chain`): the configured database (via
 * `withDatabase`) and chain (the RPC pool over RPC_URLS, checked for CB_CHAIN_ID), as a
 * {@link ChainSyncContext}. The embedded dev chain lives inside `cb start` only, so these commands
 * need RPC_URLS and CB_BADGE_ADDRESS.
 *
 * When they change badge ownership (a replay, a reconcile fix) the running instances' cached voting
 * powers are dropped, as the listener's changes drop them: through Redis (REDIS_URL), the cache's
 * invalidation channel. Without Redis each instance's cache is its own memory, which no command can
 * reach; it expires within CB_GOVERNANCE_POWER_CACHE_TTL_MS.
 */
import { createEventProcessor } from '../../achievements/index.ts';
import { cliConfig } from '../../cli/load-config.ts';
import { CliError } from '../../cli/output.ts';
import { type CliContext, withDatabase } from '../../cli/with-database.ts';
import { VOTING_POWER_NAMESPACE } from '../../governance/index.ts';
import { createCache } from '../../platform/cache/index.ts';
import { createShutdown } from '../../platform/shutdown.ts';
import { createRpcPool } from '../rpc/index.ts';
import type { ChainSyncContext } from './types.ts';

export async function withChainContext<T>(
  command: string,
  fn: (ctx: ChainSyncContext, cli: CliContext) => Promise<T>,
): Promise<T> {
  // Checked before the database is opened (which takes the embedded database's lock).
  const settings = cliConfig();
  const missing = [
    ...(settings.rpcEndpoints.length === 0 ? ['RPC_URLS'] : []),
    ...(settings.badgeAddress === undefined ? ['CB_BADGE_ADDRESS'] : []),
  ];
  if (missing.length > 0)
    throw new CliError(
      `${command} needs ${missing.join(' and ')} (the chain and the badge contract; the embedded dev chain exists only inside \`cb start\`)`,
    );
  return withDatabase(async (cli) => {
    const { config, db, logger, metrics } = cli;
    const shutdown = createShutdown({ graceMs: config.shutdownGraceMs, logger });
    const common = { config, logger, metrics, shutdown };
    const pool = createRpcPool({ common, endpoints: config.rpcEndpoints });
    const cache = config.redisUrl ? createCache({ common }) : undefined;
    const powers = cache?.namespace(VOTING_POWER_NAMESPACE);
    try {
      await pool.checkChainId();
      const processor = createEventProcessor({ db, metrics, logger: logger.child('achievement-trigger') });
      return await fn(
        {
          common,
          db,
          transport: pool.transport,
          badgeAddress: config.badgeAddress as `0x${string}`,
          catalogue: () => processor.catalogue(),
          onOwnershipChanged: powers ? () => powers.invalidateAll() : undefined,
        },
        cli,
      );
    } finally {
      await pool.stop();
      await cache?.close();
    }
  });
}
