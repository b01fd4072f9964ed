-- Retention (worker/retention.ts) deletes an expired event's read state with it, by event id:
-- read_state's key starts with user_sub, so without this index each batch would scan the table.
CREATE INDEX IF NOT EXISTS read_state_event ON read_state (event_id);
