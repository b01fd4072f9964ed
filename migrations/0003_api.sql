-- The public API's read side: per-user read state, full-text search and live counters.

-- Read state is per user and never part of the changefeed (marking read changes no seq).
CREATE TABLE read_state (
  user_sub TEXT NOT NULL,
  event_id TEXT NOT NULL,
  read_at  INTEGER NOT NULL,  -- ms since epoch
  PRIMARY KEY (user_sub, event_id)
) STRICT, WITHOUT ROWID;

-- `q` searches title and description. A LIKE '%x%' over a million rows is a full scan
-- (seconds); an FTS5 index answers word/prefix matches from the index. External content
-- (the events table itself) so the text is stored once; triggers keep it in step.
CREATE VIRTUAL TABLE events_fts USING fts5(
  title, description,
  content = 'events', content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO events_fts (events_fts) VALUES ('rebuild');

CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
  INSERT INTO events_fts (rowid, title, description) VALUES (new.rowid, new.title, new.description);
END;
CREATE TRIGGER events_fts_update AFTER UPDATE OF title, description ON events
WHEN old.title IS NOT new.title OR old.description IS NOT new.description BEGIN
  INSERT INTO events_fts (events_fts, rowid, title, description) VALUES ('delete', old.rowid, old.title, old.description);
  INSERT INTO events_fts (rowid, title, description) VALUES (new.rowid, new.title, new.description);
END;
CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
  INSERT INTO events_fts (events_fts, rowid, title, description) VALUES ('delete', old.rowid, old.title, old.description);
END;

-- GET /api/stats reads counts from here instead of a GROUP BY over every row: one row per
-- (category, severity, status, requires_action) of live (not deleted) events, kept exact by
-- triggers in the same transaction as the write.
CREATE TABLE event_counts (
  category        TEXT NOT NULL,
  severity        TEXT NOT NULL,
  status          TEXT NOT NULL,
  requires_action INTEGER NOT NULL,
  n               INTEGER NOT NULL,
  PRIMARY KEY (category, severity, status, requires_action)
) STRICT, WITHOUT ROWID;
INSERT INTO event_counts (category, severity, status, requires_action, n)
  SELECT category, severity, status, requires_action, COUNT(*) FROM events WHERE deleted = 0 GROUP BY 1, 2, 3, 4;

CREATE TRIGGER event_counts_insert AFTER INSERT ON events WHEN new.deleted = 0 BEGIN
  INSERT INTO event_counts (category, severity, status, requires_action, n)
  VALUES (new.category, new.severity, new.status, new.requires_action, 1)
  ON CONFLICT (category, severity, status, requires_action) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_counts_update_old AFTER UPDATE OF category, severity, status, requires_action, deleted ON events
WHEN old.deleted = 0 BEGIN
  UPDATE event_counts SET n = n - 1
  WHERE category = old.category AND severity = old.severity AND status = old.status AND requires_action = old.requires_action;
END;
CREATE TRIGGER event_counts_update_new AFTER UPDATE OF category, severity, status, requires_action, deleted ON events
WHEN new.deleted = 0 BEGIN
  INSERT INTO event_counts (category, severity, status, requires_action, n)
  VALUES (new.category, new.severity, new.status, new.requires_action, 1)
  ON CONFLICT (category, severity, status, requires_action) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_counts_delete AFTER DELETE ON events WHEN old.deleted = 0 BEGIN
  UPDATE event_counts SET n = n - 1
  WHERE category = old.category AND severity = old.severity AND status = old.status AND requires_action = old.requires_action;
END;

-- Read state goes with its event (the retention job deletes expired events).
CREATE INDEX read_state_event ON read_state (event_id);
CREATE TRIGGER read_state_event_delete AFTER DELETE ON events BEGIN
  DELETE FROM read_state WHERE event_id = old.id;
END;
