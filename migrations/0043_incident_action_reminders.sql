-- Reminders of overdue action items (seed 3.3 step 10 改进措施; 9 持续改进): when the update
-- channels were last reminded that this open item is past its due date. The next reminder comes
-- CB_INCIDENT_ACTION_REMIND_EVERY after this; a reminder older than the due date (it was moved
-- since) does not count, so an item that falls overdue again is reminded at once.
alter table ops_incident_actions add column reminded_at timestamptz;
