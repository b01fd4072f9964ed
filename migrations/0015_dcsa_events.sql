-- DCSA Track & Trace 2.2 out (docs/dcsa.md, GET /v2/events): a compact index of the events whose
-- document holds a DCSA original (`eventData.dcsa`, source 'DCSA TNT 2.2'). One row per such
-- event, in arrival order (`k`, the cursor's order), with the fields the standard filters on; the
-- document itself stays in `events.doc` (read by a join, which also drops soft-deleted events).
-- Kept by triggers on `events`: an insert of a DCSA event adds its row, a delete (retention, the
-- archive's move) removes it.
CREATE TABLE dcsa_events (
  k             INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: a cursor's position stays meaningful
  event_id      TEXT NOT NULL UNIQUE,              -- events.id
  category      TEXT NOT NULL,                     -- events.category (a scoped token's filter)
  event_type    TEXT NOT NULL,                     -- EQUIPMENT, TRANSPORT, SHIPMENT
  type_code     TEXT,                              -- its equipment-, transport- or shipmentEventTypeCode
  equipment_ref TEXT,                              -- equipmentReference
  vessel_imo    TEXT,                              -- transportCall.vessel.vesselIMONumber
  event_locode  TEXT,                              -- eventLocation.UNLocationCode
  call_locode   TEXT,                              -- transportCall.UNLocationCode, else transportCall.location.UNLocationCode
  created_at    INTEGER                            -- eventCreatedDateTime, ms since epoch (NULL: an offset SQLite cannot read)
) STRICT;

-- Selective filters: each index also holds the rowid (k), so one value's rows come in cursor order.
-- event_type and type_code get none (a third or a tenth of the rows: the k-ordered scan filters them).
CREATE INDEX dcsa_events_equipment ON dcsa_events (equipment_ref) WHERE equipment_ref IS NOT NULL;
CREATE INDEX dcsa_events_vessel ON dcsa_events (vessel_imo) WHERE vessel_imo IS NOT NULL;
CREATE INDEX dcsa_events_event_locode ON dcsa_events (event_locode) WHERE event_locode IS NOT NULL;
CREATE INDEX dcsa_events_call_locode ON dcsa_events (call_locode) WHERE call_locode IS NOT NULL;

-- The indexed fields of every event holding a DCSA document (the trigger's and the backfill's one
-- definition). eventCreatedDateTime has the form the schema accepts: seconds, an optional fraction
-- and `Z` or `±HH:MM`; its milliseconds are the fraction's first three digits (truncated, as the
-- query's own timestamps are), its seconds SQLite's reading of the rest. Every value is made TEXT
-- (or an integer time, or NULL) whatever the document holds: a producer may set `source` by hand on
-- any event, and a number in a STRICT TEXT column would fail the event's own insert. The route
-- answers only documents that validate as DCSA events.
CREATE VIEW dcsa_event_fields AS
SELECT
  id AS event_id,
  category,
  dcsa_type AS event_type,
  CASE dcsa_type
    WHEN 'EQUIPMENT' THEN CAST(json_extract(doc, '$.eventData.dcsa.equipmentEventTypeCode') AS TEXT)
    WHEN 'TRANSPORT' THEN CAST(json_extract(doc, '$.eventData.dcsa.transportEventTypeCode') AS TEXT)
    ELSE CAST(json_extract(doc, '$.eventData.dcsa.shipmentEventTypeCode') AS TEXT)
  END AS type_code,
  CAST(json_extract(doc, '$.eventData.dcsa.equipmentReference') AS TEXT) AS equipment_ref,
  CAST(json_extract(doc, '$.eventData.dcsa.transportCall.vessel.vesselIMONumber') AS TEXT) AS vessel_imo,
  CAST(json_extract(doc, '$.eventData.dcsa.eventLocation.UNLocationCode') AS TEXT) AS event_locode,
  CAST(coalesce(
    json_extract(doc, '$.eventData.dcsa.transportCall.UNLocationCode'),
    json_extract(doc, '$.eventData.dcsa.transportCall.location.UNLocationCode')
  ) AS TEXT) AS call_locode,
  CAST(strftime('%s', substr(ts, 1, 19) || zone) AS INTEGER) * 1000
    + CASE WHEN substr(ts, 20, 1) = '.'
        THEN CAST(substr(substr(ts, 21, length(ts) - 20 - length(zone)) || '000', 1, 3) AS INTEGER)
        ELSE 0 END AS created_at
FROM (
  SELECT id, category, doc, dcsa_type, ts,
    CASE WHEN upper(substr(ts, -1)) = 'Z' THEN 'Z' ELSE substr(ts, -6) END AS zone
  FROM (
    SELECT id, category, doc,
      json_extract(doc, '$.eventData.dcsa.eventType') AS dcsa_type,
      json_extract(doc, '$.eventData.dcsa.eventCreatedDateTime') AS ts
    FROM events
    WHERE json_extract(doc, '$.source') = 'DCSA TNT 2.2'
  )
)
WHERE dcsa_type IN ('EQUIPMENT', 'TRANSPORT', 'SHIPMENT') AND typeof(ts) = 'text';

-- Ingest speed: the WHEN's instr() rejects a non-DCSA document without parsing its JSON.
CREATE TRIGGER dcsa_events_insert AFTER INSERT ON events
WHEN instr(new.doc, '"dcsa"') > 0 AND json_extract(new.doc, '$.source') = 'DCSA TNT 2.2' BEGIN
  INSERT INTO dcsa_events (event_id, category, event_type, type_code, equipment_ref, vessel_imo, event_locode, call_locode, created_at)
  SELECT event_id, category, event_type, type_code, equipment_ref, vessel_imo, event_locode, call_locode, created_at
  FROM dcsa_event_fields WHERE event_id = new.id
  ON CONFLICT (event_id) DO NOTHING;
END;

CREATE TRIGGER dcsa_events_delete AFTER DELETE ON events
WHEN instr(old.doc, '"dcsa"') > 0 BEGIN
  DELETE FROM dcsa_events WHERE event_id = old.id;
END;

-- A deployed database keeps its history: the DCSA events already stored, in their arrival order.
INSERT INTO dcsa_events (event_id, category, event_type, type_code, equipment_ref, vessel_imo, event_locode, call_locode, created_at)
SELECT f.event_id, f.category, f.event_type, f.type_code, f.equipment_ref, f.vessel_imo, f.event_locode, f.call_locode, f.created_at
FROM dcsa_event_fields f JOIN events e ON e.id = f.event_id
ORDER BY e.received_at, e.id;
