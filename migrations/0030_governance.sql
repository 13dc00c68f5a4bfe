-- Governance: parameters, weight sets, delegations, proposals and their transitions, ballots,
-- current votes and executions. Powers and weights are integers scaled by 10^6 (numeric(78,0)):
-- a badge of weight 1.5 counts 1500000. Fractions (quorum, approval threshold) are parts per million.
-- Addresses are lower-case 0x + 40 hex, like badge_ownership.owner.

-- Overrides of the governance parameters (a parameter without a row has its configured default).
-- parameter_change proposals write here, through the same function an operator would use.
create table gov_parameters (
  name text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now(),
  updated_by text not null
);

create table gov_parameter_changes (
  id bigserial primary key,
  name text not null,
  old_value jsonb,
  new_value jsonb not null,
  actor text not null,
  proposal_id bigint,
  changed_at timestamptz not null default now()
);

-- Badge weights as a proposal saw them at creation (achievement key -> scaled weight), shared by
-- every proposal with the same table: later weight or multiplier changes never move a snapshot.
create table gov_weight_sets (
  hash text primary key,
  weights jsonb not null,
  created_at timestamptz not null default now()
);

-- Every signed delegation message (a delegatee of 0x000…0 revokes), kept with its signature.
create table gov_delegation_messages (
  delegator text not null,
  nonce numeric(78, 0) not null,
  delegatee text not null,
  expiry bigint not null,
  signature text not null,
  signer_kind text not null check (signer_kind in ('eoa', 'erc1271')),
  recorded_block bigint not null,
  recorded_at timestamptz not null default now(),
  primary key (delegator, nonce)
);

-- Delegation intervals: delegator's own badge power counts for delegatee during blocks
-- [from_block, to_block) (to_block null = until revoked). One hop: only the delegator's own badges.
create table gov_delegations (
  id bigserial primary key,
  delegator text not null,
  delegatee text not null,
  from_block bigint not null,
  to_block bigint,
  nonce numeric(78, 0) not null,
  check (to_block is null or to_block >= from_block)
);
create index gov_delegations_delegatee on gov_delegations (delegatee, from_block);
create index gov_delegations_delegator on gov_delegations (delegator, from_block);
create unique index gov_delegations_open on gov_delegations (delegator) where to_block is null;

create table gov_proposals (
  id bigserial primary key,
  title text not null,
  body text not null,
  type text not null check (type in ('signal', 'parameter_change', 'achievement_change', 'onchain_call')),
  actions jsonb not null,
  proposer text not null,
  proposer_kind text not null check (proposer_kind in ('member', 'admin')),
  request_nonce numeric(78, 0),
  request_signature text,
  chain_id bigint not null,
  snapshot_block bigint not null,
  weight_set text not null references gov_weight_sets (hash),
  total_power numeric(78, 0) not null,
  quorum_ppm integer not null check (quorum_ppm between 0 and 1000000),
  approval_ppm integer not null check (approval_ppm between 1 and 1000000),
  allow_vote_change boolean not null,
  voting_starts_at timestamptz not null,
  voting_ends_at timestamptz not null,
  late_ballot_grace_seconds integer not null,
  timelock_delay_seconds integer not null,
  execution_grace_seconds integer not null,
  state text not null check (state in
    ('pending', 'active', 'canceled', 'defeated', 'succeeded', 'queued', 'expired', 'executed')),
  -- When the clock next moves this proposal (start, end + grace, eta, expiry); null when terminal.
  next_due_at timestamptz,
  result jsonb,
  result_fixed_at timestamptz,
  queued_at timestamptz,
  eta timestamptz,
  expires_at timestamptz,
  executed_at timestamptz,
  execution_attempts integer not null default 0,
  last_execution_status text check (last_execution_status in ('running', 'ok', 'failed')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index gov_proposals_state on gov_proposals (state, id);
create index gov_proposals_due on gov_proposals (next_due_at) where next_due_at is not null;
create unique index gov_proposals_request on gov_proposals (proposer, request_nonce)
  where request_nonce is not null;

-- Every state change, with who (an address, key:<name>, or clock) and when.
create table gov_proposal_transitions (
  id bigserial primary key,
  proposal_id bigint not null references gov_proposals (id),
  from_state text,
  to_state text not null,
  actor text not null,
  reason text,
  at timestamptz not null
);
create index gov_proposal_transitions_proposal on gov_proposal_transitions (proposal_id, id);

-- Every accepted ballot, superseded ones included, with its EIP-712 signature.
create table gov_ballots (
  id bigserial primary key,
  proposal_id bigint not null references gov_proposals (id),
  voter text not null,
  support text not null check (support in ('for', 'against', 'abstain')),
  reason text not null,
  nonce numeric(78, 0) not null,
  signature text not null,
  signer_kind text not null check (signer_kind in ('eoa', 'erc1271')),
  weight numeric(78, 0) not null,
  received_at timestamptz not null,
  unique (proposal_id, voter, nonce)
);
create index gov_ballots_voter on gov_ballots (voter, id);

-- The ballot that counts for each voter of a proposal (the latest accepted one).
create table gov_votes (
  proposal_id bigint not null references gov_proposals (id),
  voter text not null,
  ballot_id bigint not null references gov_ballots (id),
  support text not null check (support in ('for', 'against', 'abstain')),
  weight numeric(78, 0) not null,
  nonce numeric(78, 0) not null,
  updated_at timestamptz not null,
  primary key (proposal_id, voter)
);
create index gov_votes_voter on gov_votes (voter, proposal_id);

-- Execution attempts: one row each, with per-action outcomes (tx hashes for on-chain calls).
create table gov_executions (
  id bigserial primary key,
  proposal_id bigint not null references gov_proposals (id),
  attempt integer not null,
  status text not null check (status in ('running', 'ok', 'failed')),
  actor text not null,
  outcomes jsonb not null default '[]',
  error text,
  started_at timestamptz not null,
  finished_at timestamptz,
  unique (proposal_id, attempt)
);
