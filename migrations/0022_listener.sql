-- Listener: what it needs beyond 0020_chain.sql.

-- Blocks up to finalized_block (checkpoint − confirmations, at most the checkpoint) are final: their
-- events were posted to the achievement intake and matched to ach_mint_outbox. Blocks above it are
-- applied to ownership but may still be rolled back by a reorg.
alter table chain_checkpoints add column finalized_block bigint;

-- The block's time, so events applied before they are final can be posted with their real time.
alter table chain_events add column block_timestamp timestamptz;

-- The hash of from_block: the branch an ownership row was learnt on.
alter table badge_ownership add column block_hash text;
