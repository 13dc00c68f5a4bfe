/**
 * The chain tables describe one chain and one contract. At start-up the current identity
 * (chain id, badge contract, genesis hash) is compared with the recorded one:
 * - none recorded → recorded;
 * - the same → nothing to do;
 * - different, on the embedded dev chain (which lives in memory and is new at every start) → the
 *   chain state is cleared and every unlock's mint request goes back to `pending`, so the minter
 *   mints the badges again on the new chain and a newcomer sees real mints after each restart;
 * - different against a real chain → refused (`CHAIN_IDENTITY_CHANGED`): pointing cb at another
 *   contract or network by mistake must not silently mix two chains' data.
 *
 * Processes starting at once (api, worker, listener on a new database) take turns on a
 * transaction-scoped advisory lock: `for update` locks nothing while the table is empty, and two
 * first starts would both insert (the second failed with a duplicate key and had to restart).
 */
import type { Db } from '../platform/db/create-db.ts';
import { BaseError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';

export interface ChainIdentity {
  chainId: number;
  badgeAddress: string;
  genesisHash: string;
  dev: boolean;
}

export class ChainIdentityChangedError extends BaseError {
  override name = 'ChainIdentityChangedError';
}

export async function checkChainIdentity(
  db: Db,
  identity: ChainIdentity,
  logger: Logger,
): Promise<'recorded' | 'same' | 'reset'> {
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(hashtext('cb.chain_identity'))");
    const { rows } = await tx.query<{
      chain_id: string;
      badge_address: string;
      genesis_hash: string;
      dev: boolean;
    }>('select chain_id::text, badge_address, genesis_hash, dev from chain_identity for update');
    const stored = rows[0];
    const address = identity.badgeAddress.toLowerCase();
    if (
      stored &&
      stored.chain_id === String(identity.chainId) &&
      stored.badge_address === address &&
      stored.genesis_hash === identity.genesisHash
    ) {
      return 'same';
    }
    if (stored && !(identity.dev && stored.dev)) {
      throw new ChainIdentityChangedError(
        'CHAIN_IDENTITY_CHANGED',
        `this database holds chain state for chain ${stored.chain_id} contract ${stored.badge_address}, not chain ${identity.chainId} contract ${address}; ` +
          'check RPC_URLS, CB_CHAIN_ID and CB_BADGE_ADDRESS (or use a fresh database)',
      );
    }
    if (stored) {
      // A new in-memory dev chain: start the chain state afresh and mint again.
      await tx.query(
        'truncate chain_blocks, chain_checkpoints, badge_tokens, badge_ownership, chain_events, mint_txs, chain_minter_lease',
      );
      const { rowCount } = await tx.query(
        `update ach_mint_outbox set status = 'pending', token_id = null, tx_hash = null, nonce = null, block_number = null,
                error = null, updated_at = now()
          where status <> 'pending'`,
      );
      logger.info('new dev chain: chain state cleared, badges will be minted again', {
        metrics: { mintRequestsReset: rowCount },
      });
    }
    await tx.query('delete from chain_identity');
    await tx.query(
      'insert into chain_identity (chain_id, badge_address, genesis_hash, dev) values ($1, $2, $3, $4)',
      [identity.chainId, address, identity.genesisHash, identity.dev],
    );
    return stored ? 'reset' : 'recorded';
  });
}
