-- Chain module: the listener's view of the badge contract (blocks for reorg detection, a
-- checkpoint, tokens and their ownership history per block) and the minter's transactions.

-- Blocks the listener applied, with hashes: a new block whose parent hash differs from the stored
-- hash of its predecessor reveals a reorg. Blocks deeper than the confirmation depth are final.
create table chain_blocks (
  number bigint primary key,
  hash text not null,
  parent_hash text not null,
  timestamp timestamptz,
  applied_at timestamptz not null default now()
);

-- One row per listened contract: the last block whose events are applied.
create table chain_checkpoints (
  contract text primary key,
  block_number bigint not null,
  block_hash text,
  updated_at timestamptz not null default now()
);

-- Badges as the chain says: current owner (null once revoked/burned).
create table badge_tokens (
  token_id numeric primary key,
  achievement_key numeric not null,
  owner text,
  minted_block bigint not null,
  minted_tx text not null,
  revoked_block bigint,
  updated_at timestamptz not null default now()
);
create index badge_tokens_owner on badge_tokens (owner) where owner is not null;

-- Ownership history: token held by owner for blocks [from_block, to_block) (to_block null = now).
-- Voting power at block B counts rows with from_block <= B and (to_block is null or to_block > B).
create table badge_ownership (
  token_id numeric not null,
  owner text not null,
  from_block bigint not null,
  to_block bigint,
  tx_hash text not null,
  log_index integer not null,
  primary key (token_id, from_block)
);
create index badge_ownership_owner on badge_ownership (owner, from_block);

-- Raw decoded contract events (idempotent by chain position), kept for replay and audit.
create table chain_events (
  block_number bigint not null,
  block_hash text not null,
  tx_hash text not null,
  log_index integer not null,
  event text not null,
  args jsonb not null,
  primary key (block_number, log_index)
);

-- The minter's transactions: one row per nonce; a replacement updates the same row's hash and fees.
create table mint_txs (
  nonce bigint primary key,
  tx_hash text not null,
  previous_hashes text[] not null default '{}',
  outbox_ids bigint[] not null,
  status text not null check (status in ('submitted', 'mined', 'confirmed', 'failed')),
  max_fee_per_gas numeric not null,
  max_priority_fee_per_gas numeric not null,
  submitted_at timestamptz not null default now(),
  last_sent_at timestamptz not null default now(),
  mined_block bigint,
  confirmed_at timestamptz,
  error text
);

alter table ach_mint_outbox add column nonce bigint;
alter table ach_mint_outbox add column block_number bigint;
alter table ach_mint_outbox add column error text;
alter table ach_mint_outbox add column attempts integer not null default 0;
