-- Transactional outbox: API-made events to publish to Kafka. Rows are written in the same D1
-- transaction as the event itself; the bridge publishes them and marks them published.
CREATE TABLE outbox (
  event_id     TEXT PRIMARY KEY NOT NULL,
  topic        TEXT NOT NULL,
  created_at   INTEGER NOT NULL,  -- ms since epoch
  published_at INTEGER            -- ms since epoch; NULL while pending
) STRICT;
CREATE INDEX outbox_pending ON outbox (created_at) WHERE published_at IS NULL;

-- Workflow history of an event: one row per change (acknowledge, assign, resolve, delete, ...).
CREATE TABLE event_history (
  event_id    TEXT NOT NULL,
  seq         INTEGER NOT NULL,   -- the event's seq after this change
  at          INTEGER NOT NULL,   -- ms since epoch
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  from_status TEXT,
  to_status   TEXT,
  note        TEXT,
  PRIMARY KEY (event_id, seq)
) STRICT;
