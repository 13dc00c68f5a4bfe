-- The audit trail of administrative operations (seed 7.3 合规审计: 记录所有管理操作, 保护日志不被篡改,
-- 实现日志保留策略). See src/ops/audit/audit-log.ts for the hash chain.
--
-- Rows are appended one at a time under the row lock of audit_head, which holds the last sequence
-- number and hash: seq has no gaps and each row's prev_hash is the hash of the row before it.
-- Changing, deleting or inserting a row breaks the chain at that row (`cb audit verify`).
create table audit_log (
  seq bigint primary key,
  at timestamptz not null,
  -- 'api_key' (an API key's name), 'cli' (user@host of a cb command).
  actor_kind text not null check (actor_kind in ('api_key', 'cli')),
  actor text not null,
  -- 'POST /v1/achievements/:id' or 'cb apikey create'.
  action text not null,
  -- What it acted on: the route's parameters (id=42), or the command's arguments.
  target text,
  outcome text not null check (outcome in ('ok', 'failed', 'refused')),
  -- HTTP status, or the command's exit code.
  status integer,
  request_id text,
  trace_id text,
  -- Redacted: the query and body (or the options) of the operation.
  details jsonb not null default '{}'::jsonb,
  prev_hash text not null,
  hash text not null
);
create index audit_log_at on audit_log (at);
create index audit_log_actor on audit_log (actor, seq);

-- The head of the chain, and where retention cut it: rows up to pruned_through were deleted, the
-- last of them had pruned_hash (the chain verifies from there).
create table audit_head (
  id boolean primary key default true check (id),
  seq bigint not null,
  hash text not null,
  pruned_through bigint not null default 0,
  pruned_hash text not null,
  pruned_at timestamptz
);
-- The genesis hash: sha256 of 'cb audit trail'.
insert into audit_head (seq, hash, pruned_hash)
values (0, 'b05d14df096aaf567bcdf8d8298f98826e2d976c75dcbcc386d2dda33e873891', 'b05d14df096aaf567bcdf8d8298f98826e2d976c75dcbcc386d2dda33e873891');

-- Append-only: updates and truncation are refused; deletes only by the retention job, which sets
-- cb.audit_prune for its own transaction. (A database owner can still drop the trigger: the hash
-- chain, and the hashes in the shipped logs, are what show tampering.)
create function audit_log_append_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' and coalesce(current_setting('cb.audit_prune', true), '') = 'on' then
    return old;
  end if;
  raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
end
$$;
create trigger audit_log_no_update before update or delete on audit_log
  for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function audit_log_append_only();
