-- Minter: what it needs beyond 0020_chain.sql.

-- The signed bytes of the current transaction (tx_hash), so a restarted minter re-broadcasts exactly
-- what it recorded before sending; replacements are re-signed from it (same nonce, data and gas).
alter table mint_txs add column raw_tx text;
-- The sender: nonces are per account, so a rotated minter key starts its own sequence.
alter table mint_txs add column from_address text not null default '';
alter table mint_txs alter column from_address drop default;
alter table mint_txs drop constraint mint_txs_pkey;
alter table mint_txs add primary key (from_address, nonce);
create index mint_txs_open on mint_txs (from_address, nonce) where status in ('submitted', 'mined');

-- Requests not yet final, for cb_mint_requests_pending without scanning every confirmed row.
create index ach_mint_outbox_open on ach_mint_outbox (id) where status in ('pending', 'submitted');

-- One sender per key: an instance mints only while it holds its account's lease (renewed every
-- tick), so two instances never race for the same nonces. The holder names the instance.
create table chain_minter_lease (
  account text primary key,
  holder text not null,
  acquired_at timestamptz not null default now(),
  expires_at timestamptz not null
);
