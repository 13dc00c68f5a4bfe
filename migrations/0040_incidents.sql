-- Incidents (seed 3): one incident per Alertmanager group while it is open, its alerts, its
-- timeline, the notifications sent for it (an outbox: rows are written with the incident change,
-- delivery jobs are queued after the commit and again by the sweep if that was lost), and its
-- postmortem. Times come from the application clock so tests can move it.

create table ops_incidents (
  id bigint generated always as identity primary key,
  group_key text not null,
  group_labels jsonb not null default '{}'::jsonb,  -- Alertmanager's groupLabels (e.g. correlation)
  dependency text,                                  -- the alerts' common dependency label, if any
  title text not null,
  severity text not null check (severity in ('P0', 'P1', 'P2', 'P3')),
  state text not null check (state in ('triggered', 'acknowledged', 'resolved', 'closed')),
  assignee text,
  previous_id bigint references ops_incidents (id),
  started_at timestamptz not null,             -- earliest startsAt of its alerts (impact began)
  created_at timestamptz not null,             -- detected: the webhook that opened it
  escalation_step integer not null default 0,  -- index into the escalation policy
  ack_deadline timestamptz,                    -- current step must acknowledge by then
  next_escalation_at timestamptz,              -- null once acknowledged, resolved, or out of steps
  acknowledged_at timestamptz,
  acknowledged_by text,
  mitigated_at timestamptz,
  resolved_at timestamptz,
  resolved_by text,
  closed_at timestamptz,
  closed_by text,
  updated_at timestamptz not null
);
-- At most one open incident per group; the webhook serialises a group with an advisory lock.
create unique index ops_incidents_open_group on ops_incidents (group_key)
  where state in ('triggered', 'acknowledged');
create index ops_incidents_group on ops_incidents (group_key, id desc);
create index ops_incidents_state on ops_incidents (state, severity, id desc);
create index ops_incidents_escalation on ops_incidents (next_escalation_at) where state = 'triggered';
create index ops_incidents_created on ops_incidents (created_at);

create table ops_incident_alerts (
  incident_id bigint not null references ops_incidents (id),
  fingerprint text not null,
  alertname text not null,
  severity text not null,
  status text not null check (status in ('firing', 'resolved')),
  starts_at timestamptz not null,
  ends_at timestamptz,
  labels jsonb not null,
  annotations jsonb not null,
  generator_url text,
  first_seen_at timestamptz not null,
  last_seen_at timestamptz not null,
  primary key (incident_id, fingerprint)
);

create table ops_incident_timeline (
  id bigint generated always as identity primary key,
  incident_id bigint not null references ops_incidents (id),
  at timestamptz not null,
  kind text not null,
  actor text,
  message text not null,
  data jsonb not null default '{}'::jsonb
);
create index ops_incident_timeline_incident on ops_incident_timeline (incident_id, id);

create table ops_notifications (
  id bigint generated always as identity primary key,
  incident_id bigint not null references ops_incidents (id),
  kind text not null,                 -- triggered, escalated, severity_raised, update, recovery
  channel text not null check (channel in ('phone', 'sms', 'email', 'slack')),
  step integer not null,              -- escalation step whose recipients it goes to
  recipients jsonb not null,          -- addresses, numbers, or Slack webhook names (never URLs)
  delivered jsonb not null default '[]'::jsonb,  -- recipients done (a retry skips them)
  message jsonb not null default '{}'::jsonb,    -- what to say beyond the incident (update text)
  state text not null default 'pending' check (state in ('pending', 'sent', 'failed')),
  attempts integer not null default 0,
  last_error text,
  created_at timestamptz not null,
  queued_at timestamptz,              -- delivery job sent; null rows are re-queued by the sweep
  sent_at timestamptz,
  failed_at timestamptz
);
create index ops_notifications_incident on ops_notifications (incident_id, id);
create index ops_notifications_unqueued on ops_notifications (created_at) where queued_at is null;

create table ops_postmortems (
  incident_id bigint primary key references ops_incidents (id),
  draft text not null,                -- as generated at resolution
  body text not null,                 -- current text
  created_at timestamptz not null,
  edited_at timestamptz,
  edited_by text
);
