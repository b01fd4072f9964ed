-- Workflow actions applied once (docs/mobile.md): PATCH /api/events/{id} with an `actionId` (the
-- dashboard's offline queue gives every action a stable one) reserves it here before applying it;
-- a retried or replayed action with the same id and user is answered from `response` and changes
-- nothing. `response` is NULL while the first attempt is in flight; a failed attempt deletes its
-- row so that a retry can apply. Rows older than the retention's window may be pruned.
CREATE TABLE action_ids (
  action_id  TEXT NOT NULL,
  user_sub   TEXT NOT NULL,
  event_id   TEXT NOT NULL,
  action     TEXT NOT NULL,
  status     INTEGER,
  response   TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_sub, action_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX action_ids_created ON action_ids (created_at);
