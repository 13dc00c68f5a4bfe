-- Action items of incidents (seed 3.3 step 10 事后分析: 根本原因分析和改进措施; 9 持续改进): what
-- must change so it does not happen again, with an owner and a due date, tracked until done.
create table ops_incident_actions (
  id bigint generated always as identity primary key,
  incident_id bigint not null references ops_incidents (id),
  title text not null,
  owner text,
  due_at timestamptz,
  status text not null default 'open' check (status in ('open', 'done', 'dropped')),
  note text,
  created_at timestamptz not null,
  created_by text not null,
  updated_at timestamptz not null,
  updated_by text not null,
  -- When it left 'open' (done or dropped).
  closed_at timestamptz
);
create index ops_incident_actions_incident on ops_incident_actions (incident_id, id);
create index ops_incident_actions_open on ops_incident_actions (due_at, id) where status = 'open';
