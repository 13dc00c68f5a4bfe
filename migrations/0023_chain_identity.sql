-- Which chain and contract the chain tables describe. The embedded dev chain is new at every start
-- (it lives in memory), so cb starts its chain state afresh when the identity changes and mints
-- the unlocked badges again; against a real chain a changed identity is refused instead.
create table chain_identity (
  id boolean primary key default true check (id),
  chain_id bigint not null,
  badge_address text not null,
  genesis_hash text not null,
  dev boolean not null,
  recorded_at timestamptz not null default now()
);
