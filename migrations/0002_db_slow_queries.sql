-- The slow-query log (seed 6.1 定期分析慢查询日志): statements slower than CB_DB_SLOW_QUERY_MS,
-- aggregated by shape (literals replaced by ?) and hour, written by every process about once a
-- minute (src/platform/db/slow-queries.ts), read by `cb db slow-queries` and
-- GET /v1/ops/db/slow-queries. Rows older than CB_DB_SLOW_QUERY_RETENTION_DAYS are deleted.
create table db_slow_queries (
  -- First 16 hex digits of the SHA-256 of the statement's shape.
  fingerprint text not null,
  -- The UTC hour the statements finished in.
  hour timestamptz not null,
  -- The shape: literals replaced by ?, whitespace folded, at most 500 characters.
  statement text not null,
  operation text not null,
  calls bigint not null,
  total_ms double precision not null,
  max_ms double precision not null,
  last_seen timestamptz not null,
  -- The trace of the latest such statement, to find its request in the logs.
  last_trace_id text,
  last_instance text,
  primary key (fingerprint, hour)
);
create index db_slow_queries_hour on db_slow_queries (hour);
