-- Dead letters in the dashboard (docs/bridge.md, "Dead letters on the page"): what the bridge
-- reported of each record it wrote to a `<topic>.dlq` topic (the DLQ topic stays the source of
-- truth; a report is idempotent by its DLQ coordinates), and the admins' replay requests, which
-- the bridge claims, carries out and settles (pending → claimed → produced | failed).
CREATE TABLE dead_letters (
  id              INTEGER PRIMARY KEY,
  dlq_topic       TEXT NOT NULL,
  dlq_partition   INTEGER NOT NULL,
  dlq_offset      TEXT NOT NULL,      -- 64-bit offsets as decimal text
  topic           TEXT NOT NULL,      -- where the record came from
  partition       INTEGER NOT NULL,
  "offset"        TEXT NOT NULL,
  key             TEXT,               -- NULL: a null key
  key_encoding    TEXT NOT NULL,      -- utf8 | base64
  reason          TEXT NOT NULL,
  dead_at         INTEGER NOT NULL,   -- ms since epoch: the DLQ record's timestamp
  reported_at     INTEGER NOT NULL,
  value           TEXT,               -- the first VALUE_PREVIEW_BYTES of the value; NULL: a tombstone
  value_encoding  TEXT NOT NULL,      -- utf8 | base64
  value_bytes     INTEGER NOT NULL,   -- the whole value's size
  value_truncated INTEGER NOT NULL,
  headers         TEXT NOT NULL,      -- the record's own headers, JSON object of text
  status          TEXT NOT NULL DEFAULT 'new', -- new | replaying | replayed | failed | discarded
  UNIQUE (dlq_topic, dlq_partition, dlq_offset)
) STRICT;
CREATE INDEX dead_letters_by_time ON dead_letters (dead_at DESC, id DESC);
CREATE INDEX dead_letters_by_status ON dead_letters (status, id DESC);

CREATE TABLE dead_letter_replays (
  id            TEXT PRIMARY KEY NOT NULL, -- the replay id: header x-quaycast-replay-id of the produced record
  letter_id     INTEGER NOT NULL,
  value         TEXT,                      -- an admin's edited value (UTF-8 text); NULL: the dead letter's own
  status        TEXT NOT NULL,             -- pending | claimed | produced | failed
  requested_by  TEXT NOT NULL,
  requested_at  INTEGER NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  claimed_by    TEXT,
  claimed_at    INTEGER,
  scan_from     TEXT,                      -- the target partition's high watermark before the first claim
  produced_partition INTEGER,
  produced_offset    TEXT,
  error         TEXT,
  settled_at    INTEGER
) STRICT;
CREATE INDEX dead_letter_replays_due ON dead_letter_replays (status, requested_at);
CREATE INDEX dead_letter_replays_of_letter ON dead_letter_replays (letter_id, requested_at);
