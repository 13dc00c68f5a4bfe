-- Every comparison of the achievement system with governance (the scheduled job `ops.cross-system`
-- and `cb reconcile systems`): what it found, so every process exports the latest result
-- (cb_cross_system_differences, the CrossSystemInconsistent alert) whoever ran it.
create table cross_system_runs (
  id bigint generated always as identity primary key,
  -- 'schedule' (the job) or 'cli' (`cb reconcile systems`); a --member run is not recorded.
  trigger text not null check (trigger in ('schedule', 'cli')),
  fix boolean not null,
  started_at timestamptz not null,
  finished_at timestamptz not null default now(),
  -- Differences by kind ({"not_earned": 2, …}); null when the run failed (error says why).
  differences jsonb,
  members_affected integer,
  minting integer,
  mint_requested integer,
  error text
);
create index cross_system_runs_latest on cross_system_runs (id desc);
