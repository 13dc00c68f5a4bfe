-- Capacity planning's history (seed 8.1 资源需求分析, 8.2 监控资源使用趋势，提前进行容量升级): one row
-- per UTC day, written by the daily job ops.capacity (src/ops/capacity), so an install without
-- Prometheus has a history too. `cb capacity` and GET /v1/ops/capacity fit the growth over a window;
-- every process exports the days until the database's disk is full (cb_capacity_disk_full_days,
-- alert CapacityDiskFullSoon). Rows older than 400 days are deleted by the job.
create table capacity_samples (
  -- The UTC day: a second run the same day replaces the row (insert … on conflict).
  day date primary key,
  taken_at timestamptz not null default now(),
  -- The process that took it (CB_INSTANCE): the disks and CPU figures are its host's.
  instance text not null,
  -- pg_database_size of the current database.
  database_bytes bigint not null check (database_bytes >= 0),
  -- {"table": bytes} of the public schema and the job queue's (pg_total_relation_size, as
  -- cb_db_table_size_bytes; the job queue's tables as "schema.table").
  tables jsonb not null,
  -- The disk holding the database: the embedded database's directory, or PostgreSQL's
  -- data_directory when the server runs on this host. Null when it cannot be seen from here
  -- (db_disk_note says why). used = size - free; avail = what an unprivileged user may still write.
  db_disk_path text,
  db_disk_size_bytes bigint,
  db_disk_used_bytes bigint,
  db_disk_avail_bytes bigint,
  db_disk_note text,
  -- The mounts the host sampler watches (/ and CB_DATA_DIR): [{"mount", "sizeBytes", "usedBytes", "availBytes"}].
  disks jsonb not null,
  -- CPU and memory of the last 24 hours as the recording process saw them, from 1-minute means
  -- (src/ops/capacity/usage-tracker.ts): null when it had not watched a whole minute yet.
  cpu_cores integer not null check (cpu_cores > 0),
  usage_observed_seconds integer not null default 0,
  host_cpu_peak_ratio double precision,
  host_cpu_mean_ratio double precision,
  process_cpu_peak_ratio double precision,
  memory_peak_ratio double precision,
  memory_total_bytes bigint not null,
  check ((db_disk_path is null) = (db_disk_size_bytes is null)),
  check ((db_disk_path is null) = (db_disk_note is not null))
);
