-- Every chain reconciliation (the scheduled job `chain.reconcile` and `cb reconcile chain`): what it
-- compared and what it found, so every process can export the latest result
-- (cb_chain_reconcile_differences, the ChainStateDiverged alert) and operators can see the history.
create table chain_reconcile_runs (
  id bigint generated always as identity primary key,
  contract text not null,
  -- 'schedule' (the job) or 'cli' (`cb reconcile chain`).
  trigger text not null check (trigger in ('schedule', 'cli')),
  fix boolean not null,
  started_at timestamptz not null,
  finished_at timestamptz not null default now(),
  -- Null when the run failed before it compared (error says why).
  block bigint,
  checked_tokens integer,
  -- Differences found, by kind ({"wrong_owner": 2, …}), and those left after a fix (= found without).
  differences jsonb,
  differences_left integer,
  changes integer,
  error text
);
create index chain_reconcile_runs_latest on chain_reconcile_runs (contract, id desc);
