-- Every verification of the audit trail's hash chain (the job ops.audit and `cb audit verify`),
-- so every process can export the latest result — cb_audit_chain_ok and
-- cb_audit_last_verify_timestamp_seconds, alerts AuditTrailBroken and AuditVerificationOverdue —
-- whichever process ran it, and across restarts. See src/ops/audit/audit-verifications.ts.
-- A verification that could not finish (the database failed under it) is not recorded: the age
-- of the latest one shows it.
create table audit_verifications (
  id bigint generated always as identity primary key,
  -- 'job' (ops.audit: the daily schedule, or a worker's start with none recorded) or 'cli'.
  trigger text not null check (trigger in ('job', 'cli')),
  started_at timestamptz not null,
  finished_at timestamptz not null default now(),
  -- The chain held from the retention cut to the head: every link and hash matched.
  ok boolean not null,
  -- Records checked, from pruned_through + 1 up to head_seq as the verification saw them.
  checked bigint not null,
  pruned_through bigint not null,
  head_seq bigint not null,
  -- The first broken record and what is wrong with it (null when ok).
  broken_seq bigint,
  problem text,
  -- `cb audit verify --anchor SEQ:HASH`: the anchor's seq, and whether that record has the hash
  -- (null: the record was deleted by retention, or the chain broke before it). Not part of `ok`:
  -- the command exits 3 on a mismatch; the alert is about the chain itself.
  anchor_seq bigint,
  anchor_matches boolean,
  check (ok = (broken_seq is null)),
  check ((broken_seq is null) = (problem is null))
);
