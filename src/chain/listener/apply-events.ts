/**
 * Applying badge events to the database, set-based (a few statements per range whatever its size)
 * and idempotent: applying the same events again leaves the same rows, which is what replay relies
 * on. Tokens are soulbound, so a token's history is one mint and at most one revoke:
 *
 * - BadgeMinted → `badge_tokens` row (owner = holder) and an open `badge_ownership` row
 *   [mint block, ∞); a token already revoked at or after that block keeps its revoke.
 * - BadgeRevoked → `badge_tokens.owner` null, `revoked_block` set; the open ownership row is closed
 *   at the revoke block.
 * - Every event → `chain_events` (by chain position; a re-read replaces the row).
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import type { BadgeEvent } from './decode-badge-logs.ts';

export interface ApplyOptions {
  /**
   * Also close re-opened ownership rows of tokens whose revoke is recorded outside these events
   * (replaying a mint whose revoke lies after the replayed range). @defaultValue false
   */
  closeRevoked?: boolean | undefined;
  /**
   * Awaited once, after the inserts (events, minted tokens and their ownership rows) and before
   * the updates (revokes), e.g. to take the checkpoint lock: inserts of different ranges never
   * touch the same rows, so they may run before it, while a revoke must see the mint it closes.
   */
  beforeUpdates?: (() => Promise<unknown>) | undefined;
}

/** Applies `events` (chain order) inside `tx`; returns the holders concerned. */
export async function applyEvents(
  tx: Queryable,
  events: readonly BadgeEvent[],
  options: ApplyOptions = {},
): Promise<Set<string>> {
  const holders = new Set<string>();
  if (events.length === 0) {
    await options.beforeUpdates?.();
    return holders;
  }
  const mints: BadgeEvent[] = [];
  const revokes: BadgeEvent[] = [];
  for (const e of events) {
    holders.add(e.holder);
    (e.event === 'BadgeMinted' ? mints : revokes).push(e);
  }

  await tx.query(
    `insert into chain_events (block_number, block_hash, tx_hash, log_index, event, args, block_timestamp)
     select b, h, t, l, e,
            jsonb_build_object('tokenId', tok, case when e = 'BadgeMinted' then 'to' else 'owner' end, holder,
                               'achievementId', ach),
            to_timestamp(ts)
       from unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[],
                   $9::float8[]) as x(b, h, t, l, e, tok, holder, ach, ts)
     on conflict (block_number, log_index) do update
       set block_hash = excluded.block_hash, tx_hash = excluded.tx_hash, event = excluded.event,
           args = excluded.args, block_timestamp = excluded.block_timestamp`,
    [
      events.map((e) => e.blockNumber.toString()),
      events.map((e) => e.blockHash),
      events.map((e) => e.txHash),
      events.map((e) => e.logIndex),
      events.map((e) => e.event),
      events.map((e) => e.tokenId.toString()),
      events.map((e) => e.holder),
      events.map((e) => e.achievementKey.toString()),
      events.map((e) => (e.blockTimestamp === undefined ? null : Number(e.blockTimestamp))),
    ],
  );

  if (mints.length > 0) {
    const tokenIds = mints.map((e) => e.tokenId.toString());
    const blocks = mints.map((e) => e.blockNumber.toString());
    const owners = mints.map((e) => e.holder);
    const txs = mints.map((e) => e.txHash);
    await tx.query(
      `insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx, updated_at)
       select tok, ach, holder, b, t, now()
         from unnest($1::numeric[], $2::numeric[], $3::text[], $4::bigint[], $5::text[]) as x(tok, ach, holder, b, t)
       on conflict (token_id) do update set
         achievement_key = excluded.achievement_key,
         minted_block = excluded.minted_block,
         minted_tx = excluded.minted_tx,
         owner = case when badge_tokens.revoked_block >= excluded.minted_block then null else excluded.owner end,
         revoked_block = case when badge_tokens.revoked_block >= excluded.minted_block then badge_tokens.revoked_block end,
         updated_at = now()`,
      [tokenIds, mints.map((e) => e.achievementKey.toString()), owners, blocks, txs],
    );
    await tx.query(
      `insert into badge_ownership (token_id, owner, from_block, tx_hash, log_index, block_hash)
       select tok, holder, b, t, l, h
         from unnest($1::numeric[], $2::text[], $3::bigint[], $4::text[], $5::int[], $6::text[])
              as x(tok, holder, b, t, l, h)
       on conflict (token_id, from_block) do update
         set owner = excluded.owner, tx_hash = excluded.tx_hash, log_index = excluded.log_index,
             block_hash = excluded.block_hash`,
      [tokenIds, owners, blocks, txs, mints.map((e) => e.logIndex), mints.map((e) => e.blockHash)],
    );
    if (options.closeRevoked) {
      await tx.query(
        `update badge_ownership o set to_block = t.revoked_block
           from badge_tokens t
          where t.token_id = any($1::numeric[]) and o.token_id = t.token_id and o.to_block is null
            and t.revoked_block is not null and o.from_block <= t.revoked_block`,
        [tokenIds],
      );
    }
  }

  await options.beforeUpdates?.();
  if (revokes.length > 0) {
    const tokenIds = revokes.map((e) => e.tokenId.toString());
    const blocks = revokes.map((e) => e.blockNumber.toString());
    await tx.query(
      `update badge_tokens t set owner = null, revoked_block = x.b, updated_at = now()
         from unnest($1::numeric[], $2::bigint[]) as x(tok, b)
        where t.token_id = x.tok`,
      [tokenIds, blocks],
    );
    await tx.query(
      `update badge_ownership o set to_block = x.b
         from unnest($1::numeric[], $2::bigint[]) as x(tok, b)
        where o.token_id = x.tok and o.to_block is null and o.from_block <= x.b`,
      [tokenIds, blocks],
    );
  }
  return holders;
}
