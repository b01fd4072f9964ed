-- `q` also finds events by their entity ids (container, ship, berth, port) and event type:
-- operators search for "MSCU1234567" or "EMX-02" far more often than for words of a title.
-- The FTS5 index is rebuilt with those columns; the triggers follow.
DROP TRIGGER events_fts_insert;
DROP TRIGGER events_fts_update;
DROP TRIGGER events_fts_delete;
DROP TABLE events_fts;

CREATE VIRTUAL TABLE events_fts USING fts5(
  title, description, event_type, container_id, ship_id, berth_id, port_id,
  content = 'events', content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO events_fts (events_fts) VALUES ('rebuild');

CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
  INSERT INTO events_fts (rowid, title, description, event_type, container_id, ship_id, berth_id, port_id)
  VALUES (new.rowid, new.title, new.description, new.event_type, new.container_id, new.ship_id, new.berth_id, new.port_id);
END;
CREATE TRIGGER events_fts_update AFTER UPDATE OF title, description, event_type, container_id, ship_id, berth_id, port_id ON events
WHEN old.title IS NOT new.title OR old.description IS NOT new.description OR old.event_type IS NOT new.event_type
  OR old.container_id IS NOT new.container_id OR old.ship_id IS NOT new.ship_id OR old.berth_id IS NOT new.berth_id OR old.port_id IS NOT new.port_id BEGIN
  INSERT INTO events_fts (events_fts, rowid, title, description, event_type, container_id, ship_id, berth_id, port_id)
  VALUES ('delete', old.rowid, old.title, old.description, old.event_type, old.container_id, old.ship_id, old.berth_id, old.port_id);
  INSERT INTO events_fts (rowid, title, description, event_type, container_id, ship_id, berth_id, port_id)
  VALUES (new.rowid, new.title, new.description, new.event_type, new.container_id, new.ship_id, new.berth_id, new.port_id);
END;
CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
  INSERT INTO events_fts (events_fts, rowid, title, description, event_type, container_id, ship_id, berth_id, port_id)
  VALUES ('delete', old.rowid, old.title, old.description, old.event_type, old.container_id, old.ship_id, old.berth_id, old.port_id);
END;
