-- Platform tables: API keys, job consumer heartbeats, schedules.

create table cb_api_keys (
  id text primary key,                 -- public part of the key (cbk_<id>_<secret>)
  name text not null,
  scopes text[] not null,
  secret_hash text not null,           -- sha256 of the whole key, hex
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create unique index cb_api_keys_active_name on cb_api_keys (name) where revoked_at is null;

create table cb_job_consumers (
  instance text not null,
  queue text not null,
  workers integer not null,
  last_seen_at timestamptz not null default now(),
  primary key (instance, queue)
);

create table cb_schedules (
  name text primary key,
  cron text not null,
  tz text not null default 'UTC',
  last_started_at timestamptz,
  last_success_at timestamptz,
  last_failure_at timestamptz,
  last_missed_for timestamptz,          -- the expected run last counted as missed
  updated_at timestamptz not null default now()
);
