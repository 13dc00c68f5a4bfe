-- Emergency pauses (kill switches) of the platform's chain writers, for an incident: `minting`
-- stops the minter signing anything new (no new batch, no fee-bumped replacement; receipts are
-- still followed), `execution` stops passed proposals being executed. A row present = paused; who
-- paused it, when and why. Read by the minter each tick and by every execution, so a pause takes
-- effect on every instance within a poll interval, without a restart or a deploy.
create table ops_pauses (
  name text primary key check (name in ('minting', 'execution')),
  reason text not null check (length(reason) between 1 and 500),
  paused_by text not null,
  paused_at timestamptz not null default now()
);
