-- The member feed that GET /v1/users/:address/achievements/stream pushes (src/achievements/streams):
-- each unlock, and each change of a mint request's status or transaction, is stamped with its
-- position (feed_xid, feed_seq): the id of the transaction that wrote it and a number from one
-- sequence shared by both tables.
--
-- Why the transaction id: a sequence number or a timestamp is taken before the commit, so a row
-- committed late can appear behind a position a reader has already passed, and be skipped for
-- good. A reader here reads only rows whose transaction is older than every transaction still
-- running (feed_xid < pg_snapshot_xmin(pg_current_snapshot())): those are all committed (or gone),
-- and any row written later has a larger feed_xid. So the position is monotonic in delivery order
-- and safe to hand to a client as its SSE Last-Event-ID.
--
-- Rows written before this migration have no position (null): they are never pushed.

create sequence ach_feed_seq;

alter table ach_unlocks add column feed_xid xid8, add column feed_seq bigint;
alter table ach_unlocks alter column feed_xid set default pg_current_xact_id();
alter table ach_unlocks alter column feed_seq set default nextval('ach_feed_seq');
create index ach_unlocks_feed on ach_unlocks (feed_xid, feed_seq) where feed_xid is not null;

-- A mint request gets a position when its status or transaction changes (pending → submitted →
-- confirmed | failed, a replacement transaction, a retry): whoever writes it (the minter, the
-- listener, a reconciliation, an operator's retry), in whichever process.
alter table ach_mint_outbox add column feed_xid xid8, add column feed_seq bigint;
create index ach_mint_outbox_feed on ach_mint_outbox (feed_xid, feed_seq) where feed_xid is not null;

create function ach_mint_outbox_feed() returns trigger language plpgsql as $$
begin
  if new.status is distinct from old.status or new.tx_hash is distinct from old.tx_hash then
    new.feed_xid := pg_current_xact_id();
    new.feed_seq := nextval('ach_feed_seq');
  end if;
  return new;
end
$$;

create trigger ach_mint_outbox_feed before update on ach_mint_outbox
  for each row execute function ach_mint_outbox_feed();
