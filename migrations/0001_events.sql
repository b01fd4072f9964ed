-- Events: one row per id (the idempotency key). `seq` is the row's position in its category
-- room's changefeed; it moves forward on every workflow change. `doc` holds the canonical JSON
-- (everything but seq); the other columns exist to filter and sort.
CREATE TABLE events (
  id              TEXT PRIMARY KEY NOT NULL,
  category        TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  severity        TEXT NOT NULL,
  priority        TEXT NOT NULL,
  status          TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  title           TEXT NOT NULL,
  description     TEXT,
  event_time      INTEGER NOT NULL,  -- ms since epoch
  received_at     INTEGER NOT NULL,  -- ms since epoch
  updated_at      INTEGER NOT NULL,  -- ms since epoch
  container_id    TEXT,
  ship_id         TEXT,
  berth_id        TEXT,
  port_id         TEXT,
  requires_action INTEGER NOT NULL DEFAULT 0,
  is_resolved     INTEGER NOT NULL DEFAULT 0,
  assigned_to     TEXT,
  deleted         INTEGER NOT NULL DEFAULT 0, -- tombstone: kept so replays carry the delete
  doc             TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX events_room_seq ON events (category, seq);
CREATE INDEX events_received ON events (received_at DESC, id DESC);
CREATE INDEX events_category_received ON events (category, received_at DESC, id DESC);
CREATE INDEX events_severity_received ON events (severity, received_at DESC, id DESC);
CREATE INDEX events_status_received ON events (status, received_at DESC, id DESC);
