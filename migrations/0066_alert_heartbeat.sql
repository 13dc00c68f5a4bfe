-- The alerting pipeline's heartbeat: Alertmanager sends the always-firing AlertingHeartbeat to the
-- incident webhook every minute; when it stops arriving, the incident sweep opens an incident of its
-- own (AlertingPipelineSilent), since nothing else would page while Prometheus or Alertmanager is
-- down. One row: when the first and the latest heartbeat arrived, and how many.
create table ops_alert_heartbeat (
  id smallint primary key default 1 check (id = 1),
  first_at timestamptz not null,
  last_at timestamptz not null,
  beats bigint not null default 1
);
