-- Status update reminders (seed 3.3 step 7 状态更新: 定期更新问题状态和进展): when the update
-- channels were last reminded that an acknowledged incident is due an update. The next reminder
-- comes an interval after the latest of its acknowledgement, its last status update and this.
alter table ops_incidents add column update_reminded_at timestamptz;
