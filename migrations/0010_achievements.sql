-- Achievement engine: events log, catalogue (versioned), progress, unlocks, mint outbox.
--
-- Events are spread over a fixed number of partitions by member (see achievements/partition.ts).
-- A worker processes one partition at a time while holding its row lock in ach_partitions, which
-- keeps each member's events in order and lets retroactive runs and reconciliation see a stable
-- set of applied events.

create table ach_partitions (
  id smallint primary key,
  last_processed_at timestamptz
);
insert into ach_partitions (id) select generate_series(0, 15);

create table ach_events (
  seq bigint generated always as identity primary key,
  source text not null,
  external_id text not null,
  type text not null,
  user_address text not null,
  occurred_at timestamptz not null,
  received_at timestamptz not null default now(),
  data jsonb not null default '{}'::jsonb,
  partition smallint not null,
  status text not null default 'received' check (status in ('received', 'processed', 'failed')),
  processed_at timestamptz,
  error jsonb,
  traceparent text,
  unique (source, external_id)
);
create index ach_events_pending on ach_events (partition, seq) where status = 'received';
create index ach_events_user on ach_events (user_address, type, seq);

create table ach_achievements (
  id text primary key,
  current_version integer not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table ach_achievement_versions (
  achievement_id text not null references ach_achievements (id),
  version integer not null,
  definition jsonb not null,
  created_at timestamptz not null default now(),
  created_by text,
  primary key (achievement_id, version)
);

create table ach_progress (
  user_address text not null,
  achievement_id text not null references ach_achievements (id),
  version integer not null,
  state jsonb not null,
  current numeric not null,
  target numeric not null,
  updated_at timestamptz not null default now(),
  primary key (user_address, achievement_id)
);
create index ach_progress_achievement on ach_progress (achievement_id);

create table ach_unlocks (
  user_address text not null,
  achievement_id text not null references ach_achievements (id),
  version integer not null,
  unlocked_at timestamptz not null default now(),
  event_seq bigint,
  primary key (user_address, achievement_id)
);
create index ach_unlocks_achievement on ach_unlocks (achievement_id, unlocked_at);

-- Written in the same transaction as the unlock; the chain module's minter consumes it.
create table ach_mint_outbox (
  id bigint generated always as identity primary key,
  user_address text not null,
  achievement_id text not null,
  created_at timestamptz not null default now(),
  status text not null default 'pending' check (status in ('pending', 'submitted', 'confirmed', 'failed')),
  token_id numeric,
  tx_hash text,
  updated_at timestamptz not null default now(),
  traceparent text,
  unique (user_address, achievement_id)
);
create index ach_mint_outbox_pending on ach_mint_outbox (id) where status = 'pending';
