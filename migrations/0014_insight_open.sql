-- Open events per category, severity and UTC hour (and day) of receipt, for openBreached (docs/insight.md):
-- new_n = still New, open_n = not yet Resolved or Closed, tombstones in neither: the rows the
-- partial indexes events_open_new / events_open_unresolved of 0010 hold, counted per hour, so a
-- long range sums hours instead of counting index entries (at 1,000,000 events a 30-day count
-- walked ~half a million). Unlike the history rollups this is state: it follows every change
-- and every delete (the archive's moves and retention take rows out of the indexes too).
CREATE TABLE insight_open (
  category TEXT NOT NULL,
  severity TEXT NOT NULL,
  hour     INTEGER NOT NULL,
  new_n    INTEGER NOT NULL,
  open_n   INTEGER NOT NULL,
  PRIMARY KEY (category, severity, hour)
) STRICT, WITHOUT ROWID;

-- The same per UTC day (received_at / 86400000), for the whole days of a long range.
CREATE TABLE insight_open_day (
  category TEXT NOT NULL,
  severity TEXT NOT NULL,
  day      INTEGER NOT NULL,
  new_n    INTEGER NOT NULL,
  open_n   INTEGER NOT NULL,
  PRIMARY KEY (category, severity, day)
) STRICT, WITHOUT ROWID;

INSERT INTO insight_open (category, severity, hour, new_n, open_n)
SELECT category, severity, received_at / 3600000, SUM(status = 'New'), COUNT(*) FROM events
WHERE status IN ('New', 'Acknowledged', 'InProgress') AND deleted = 0
GROUP BY category, severity, received_at / 3600000;
INSERT INTO insight_open_day (category, severity, day, new_n, open_n)
SELECT category, severity, hour / 24, SUM(new_n), SUM(open_n) FROM insight_open GROUP BY category, severity, hour / 24;

CREATE TRIGGER insight_open_insert AFTER INSERT ON events
WHEN new.status IN ('New', 'Acknowledged', 'InProgress') AND new.deleted = 0 BEGIN
  INSERT INTO insight_open (category, severity, hour, new_n, open_n)
  VALUES (new.category, new.severity, new.received_at / 3600000, new.status = 'New', 1)
  ON CONFLICT (category, severity, hour) DO UPDATE SET new_n = new_n + excluded.new_n, open_n = open_n + 1;
  INSERT INTO insight_open_day (category, severity, day, new_n, open_n)
  VALUES (new.category, new.severity, new.received_at / 86400000, new.status = 'New', 1)
  ON CONFLICT (category, severity, day) DO UPDATE SET new_n = new_n + excluded.new_n, open_n = open_n + 1;
END;

-- Fires only when what is counted, or where, changes (a workflow change rewrites seq and doc too).
CREATE TRIGGER insight_open_update AFTER UPDATE OF status, deleted, category, severity, received_at ON events
WHEN (old.status = 'New' AND old.deleted = 0) <> (new.status = 'New' AND new.deleted = 0)
  OR (old.status IN ('New', 'Acknowledged', 'InProgress') AND old.deleted = 0)
    <> (new.status IN ('New', 'Acknowledged', 'InProgress') AND new.deleted = 0)
  OR old.category <> new.category OR old.severity <> new.severity
  OR old.received_at / 3600000 <> new.received_at / 3600000 BEGIN
  UPDATE insight_open SET new_n = new_n - (old.status = 'New'), open_n = open_n - 1
  WHERE old.status IN ('New', 'Acknowledged', 'InProgress') AND old.deleted = 0
    AND category = old.category AND severity = old.severity AND hour = old.received_at / 3600000;
  UPDATE insight_open_day SET new_n = new_n - (old.status = 'New'), open_n = open_n - 1
  WHERE old.status IN ('New', 'Acknowledged', 'InProgress') AND old.deleted = 0
    AND category = old.category AND severity = old.severity AND day = old.received_at / 86400000;
  INSERT INTO insight_open (category, severity, hour, new_n, open_n)
  SELECT new.category, new.severity, new.received_at / 3600000, new.status = 'New', 1
  WHERE new.status IN ('New', 'Acknowledged', 'InProgress') AND new.deleted = 0
  ON CONFLICT (category, severity, hour) DO UPDATE SET new_n = new_n + excluded.new_n, open_n = open_n + 1;
  INSERT INTO insight_open_day (category, severity, day, new_n, open_n)
  SELECT new.category, new.severity, new.received_at / 86400000, new.status = 'New', 1
  WHERE new.status IN ('New', 'Acknowledged', 'InProgress') AND new.deleted = 0
  ON CONFLICT (category, severity, day) DO UPDATE SET new_n = new_n + excluded.new_n, open_n = open_n + 1;
END;

CREATE TRIGGER insight_open_delete AFTER DELETE ON events
WHEN old.status IN ('New', 'Acknowledged', 'InProgress') AND old.deleted = 0 BEGIN
  UPDATE insight_open SET new_n = new_n - (old.status = 'New'), open_n = open_n - 1
  WHERE category = old.category AND severity = old.severity AND hour = old.received_at / 3600000;
  UPDATE insight_open_day SET new_n = new_n - (old.status = 'New'), open_n = open_n - 1
  WHERE category = old.category AND severity = old.severity AND day = old.received_at / 86400000;
END;
