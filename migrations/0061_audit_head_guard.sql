-- The audit trail's head only moves forward: its last seq (appends) and its retention cut never go
-- back, and the row cannot be deleted. Without this, deleting the newest records and moving the
-- head back to the last one left would verify as an intact chain. (A database owner can still drop
-- the trigger: the hashes logged as each record was written — `cb audit verify --anchor` — are what
-- catch that.) Retention now records each cut in the chain too, as actor kind 'system'.
create function audit_head_forward_only() returns trigger language plpgsql as $$
begin
  if tg_op <> 'UPDATE' then
    raise exception 'audit_head cannot be deleted: % refused', tg_op using errcode = 'insufficient_privilege';
  end if;
  if new.seq < old.seq or new.pruned_through < old.pruned_through then
    raise exception 'audit_head only moves forward (seq %, pruned through %)', old.seq, old.pruned_through
      using errcode = 'insufficient_privilege';
  end if;
  return new;
end
$$;
create trigger audit_head_forward before update or delete on audit_head
  for each row execute function audit_head_forward_only();
create trigger audit_head_no_truncate before truncate on audit_head
  for each statement execute function audit_head_forward_only();

alter table audit_log drop constraint audit_log_actor_kind_check;
alter table audit_log add constraint audit_log_actor_kind_check
  check (actor_kind in ('api_key', 'cli', 'system'));
