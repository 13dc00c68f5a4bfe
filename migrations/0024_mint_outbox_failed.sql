-- Dead-lettered mint requests, newest first, for operators (GET /v1/ops/mints/failed and the
-- console's Chain page) without scanning every confirmed row.
create index ach_mint_outbox_failed on ach_mint_outbox (updated_at desc, id desc) where status = 'failed';
