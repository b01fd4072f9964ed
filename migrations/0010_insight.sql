-- Operations insight (docs/insight.md): SLA targets and the rollups the /api/insight routes read.
-- Rollups are kept by triggers in the same transaction as the write they count, so they are exact
-- and no query scans events. They are history: nothing decrements them (no DELETE triggers), so
-- the archive's moves and retention's deletes leave them whole; a user's delete (a tombstone, an
-- UPDATE) does not change them either.

-- SLA targets in force. category '' = the severity's default; a named category overrides it.
CREATE TABLE sla_targets (
  severity   TEXT NOT NULL,
  category   TEXT NOT NULL DEFAULT '',
  ack_ms     INTEGER NOT NULL,
  resolve_ms INTEGER NOT NULL,
  PRIMARY KEY (severity, category)
) STRICT, WITHOUT ROWID;
INSERT INTO sla_targets (severity, category, ack_ms, resolve_ms) VALUES
  ('Critical', '', 5 * 60000, 60 * 60000),
  ('High', '', 15 * 60000, 4 * 60 * 60000),
  ('Medium', '', 60 * 60000, 24 * 60 * 60000),
  ('Low', '', 4 * 60 * 60000, 72 * 60 * 60000);

-- The rest of the SLA document: one row. shifts is JSON [{ name, start: "HH:MM" }].
CREATE TABLE sla_settings (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  time_zone  TEXT NOT NULL,
  shifts     TEXT NOT NULL,
  updated_at INTEGER,
  updated_by TEXT
) STRICT;
INSERT INTO sla_settings (id, time_zone, shifts) VALUES
  (1, 'Europe/Amsterdam', '[{"name":"Early","start":"06:00"},{"name":"Late","start":"14:00"},{"name":"Night","start":"22:00"}]');

-- Log-scale histogram buckets of durations (worker/insight/histogram.ts computes the same bounds
-- the same way): bucket 0 = [0, 1 s), bucket b >= 1 = [1 s * 1.05^(b-1), 1 s * 1.05^b).
CREATE TABLE insight_buckets (b INTEGER PRIMARY KEY, lo REAL NOT NULL) STRICT;
CREATE INDEX insight_buckets_lo ON insight_buckets (lo, b);
INSERT INTO insight_buckets (b, lo)
  WITH RECURSIVE r(b, lo) AS (SELECT 1, 1000.0 UNION ALL SELECT b + 1, lo * 1.05 FROM r WHERE b < 480)
  SELECT 0, 0.0 UNION ALL SELECT b, lo FROM r;

-- Volume: events received per UTC hour (received_at / 3600000), category and severity.
CREATE TABLE insight_volume (
  hour     INTEGER NOT NULL,
  category TEXT NOT NULL,
  severity TEXT NOT NULL,
  n        INTEGER NOT NULL,
  PRIMARY KEY (hour, category, severity)
) STRICT, WITHOUT ROWID;

-- Incidents per entity per UTC hour of receipt; crane = eventData.craneId.
CREATE TABLE insight_entities (
  kind      TEXT NOT NULL,
  hour      INTEGER NOT NULL,
  category  TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  n         INTEGER NOT NULL,
  critical  INTEGER NOT NULL,
  PRIMARY KEY (kind, hour, category, entity_id)
) STRICT, WITHOUT ROWID;

-- Response times: kind 0 = acknowledge, 1 = resolve; by the UTC hour the event was received, its
-- dimensions when the change happened, and the duration's histogram bucket. met counts those within
-- the target in force at that moment.
CREATE TABLE insight_response (
  hour       INTEGER NOT NULL,
  kind       INTEGER NOT NULL,
  category   TEXT NOT NULL,
  severity   TEXT NOT NULL,
  event_type TEXT NOT NULL,
  assignee   TEXT NOT NULL,
  bucket     INTEGER NOT NULL,
  n          INTEGER NOT NULL,
  sum_ms     INTEGER NOT NULL,
  met        INTEGER NOT NULL,
  PRIMARY KEY (hour, kind, category, severity, event_type, assignee, bucket)
) STRICT, WITHOUT ROWID;

-- Open events past their target (openBreached): index range counts per (category, severity).
CREATE INDEX events_open_new ON events (category, severity, received_at) WHERE status = 'New' AND deleted = 0;
CREATE INDEX events_open_unresolved ON events (category, severity, received_at)
  WHERE status IN ('New', 'Acknowledged', 'InProgress') AND deleted = 0;

CREATE TRIGGER insight_volume_insert AFTER INSERT ON events BEGIN
  INSERT INTO insight_volume (hour, category, severity, n) VALUES (new.received_at / 3600000, new.category, new.severity, 1)
  ON CONFLICT (hour, category, severity) DO UPDATE SET n = n + 1;
  INSERT INTO insight_entities (kind, hour, category, entity_id, n, critical)
  SELECT k, new.received_at / 3600000, new.category, v, 1, new.severity = 'Critical' FROM (
    SELECT 'container' AS k, new.container_id AS v UNION ALL SELECT 'ship', new.ship_id
    UNION ALL SELECT 'berth', new.berth_id UNION ALL SELECT 'port', new.port_id
    UNION ALL SELECT 'crane', CAST(json_extract(new.doc, '$.eventData.craneId') AS TEXT)
  ) WHERE v IS NOT NULL AND v <> ''
  ON CONFLICT (kind, hour, category, entity_id) DO UPDATE SET n = n + 1, critical = critical + excluded.critical;
END;

-- Acknowledged: the first transition out of New (acknowledge, start, resolve; a status never returns to New).
CREATE TRIGGER insight_ack AFTER INSERT ON event_history
WHEN new.from_status = 'New' AND new.to_status IS NOT NULL AND new.to_status <> 'New' BEGIN
  INSERT INTO insight_response (hour, kind, category, severity, event_type, assignee, bucket, n, sum_ms, met)
  SELECT e.received_at / 3600000, 0, e.category, e.severity, e.event_type, COALESCE(e.assigned_to, ''),
    (SELECT MAX(b) FROM insight_buckets WHERE lo <= max(0, new.at - e.received_at)), 1, max(0, new.at - e.received_at),
    COALESCE(max(0, new.at - e.received_at) <= (SELECT t.ack_ms FROM sla_targets t WHERE t.severity = e.severity
      AND t.category IN (e.category, '') ORDER BY t.category = '' LIMIT 1), 0)
  FROM events e WHERE e.id = new.event_id
  ON CONFLICT (hour, kind, category, severity, event_type, assignee, bucket)
  DO UPDATE SET n = n + 1, sum_ms = sum_ms + excluded.sum_ms, met = met + excluded.met;
END;

-- Resolved: the first transition to Resolved or Closed (a reopen and resolve again does not count twice).
CREATE TRIGGER insight_resolve AFTER INSERT ON event_history
WHEN new.to_status IN ('Resolved', 'Closed') AND NOT EXISTS (
  SELECT 1 FROM event_history h WHERE h.event_id = new.event_id AND h.seq < new.seq AND h.to_status IN ('Resolved', 'Closed')
) BEGIN
  INSERT INTO insight_response (hour, kind, category, severity, event_type, assignee, bucket, n, sum_ms, met)
  SELECT e.received_at / 3600000, 1, e.category, e.severity, e.event_type, COALESCE(e.assigned_to, ''),
    (SELECT MAX(b) FROM insight_buckets WHERE lo <= max(0, new.at - e.received_at)), 1, max(0, new.at - e.received_at),
    COALESCE(max(0, new.at - e.received_at) <= (SELECT t.resolve_ms FROM sla_targets t WHERE t.severity = e.severity
      AND t.category IN (e.category, '') ORDER BY t.category = '' LIMIT 1), 0)
  FROM events e WHERE e.id = new.event_id
  ON CONFLICT (hour, kind, category, severity, event_type, assignee, bucket)
  DO UPDATE SET n = n + 1, sum_ms = sum_ms + excluded.sum_ms, met = met + excluded.met;
END;
