-- Tiered storage (worker/archive/, docs/archive.md): D1 keeps the hot window; older changes move
-- to R2 as immutable NDJSON+gzip objects. These tables are the archive's authority in D1: the
-- manifest of objects, each room's move cursor, and a compact index of archived ids (for
-- idempotency and GET /api/events/:id). All three are small next to `events`.

-- One row per archive object (the manifest; R2's manifest/<Category>.json is rebuilt from it).
-- state: 'pending' = a move's intent, written before its object (a redo rewrites exactly this
-- range under this key); 'committed' = the object is written, verified, and its rows left D1;
-- 'expiring' = past ARCHIVE_RETENTION_DAYS, its ids and counts gone, its object being deleted.
CREATE TABLE archive_objects (
  object_id    INTEGER PRIMARY KEY,
  category     TEXT NOT NULL,
  object_key   TEXT NOT NULL UNIQUE,
  state        TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'expiring')),
  from_seq     INTEGER NOT NULL,  -- the range (from_seq, to_seq] of the room's seqs it covers
  to_seq       INTEGER NOT NULL,
  rows         INTEGER NOT NULL DEFAULT 0,
  bytes        INTEGER NOT NULL DEFAULT 0,
  sha256       TEXT,
  min_received INTEGER,            -- ms since epoch, over the object's rows
  max_received INTEGER,
  max_updated  INTEGER,
  counts       TEXT,               -- JSON [[category, severity, status, requires_action, n], ...] of its live events
  created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX archive_objects_room ON archive_objects (category, to_seq);
CREATE INDEX archive_objects_received ON archive_objects (max_received);

-- Each room's move cursor: every row of the room with seq <= through_seq has either moved or is
-- still open in the workflow (it stays hot until it changes, which gives it a new seq).
CREATE TABLE archive_state (
  category         TEXT PRIMARY KEY NOT NULL,
  through_seq      INTEGER NOT NULL,
  manifest_version INTEGER NOT NULL DEFAULT 0,  -- bumped by each commit; R2's manifest says which it shows
  manifest_written INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Archived ids, as two independent 53-bit hashes of the id (worker/archive/id-hash.ts): about 20
-- bytes a row where the id itself would take 40-60. Ingest refuses an id found here (a Kafka
-- replay of an archived record is a duplicate, not a new event); GET /api/events/:id finds the
-- object to read. Two hashes: a false match needs both to collide (odds in docs/archive.md).
-- No index on object_id: expiry reads the object's ids from R2 and deletes by the key (one row
-- written per archived id, not two; docs/archive.md, "Write cost").
CREATE TABLE archive_ids (
  h1        INTEGER NOT NULL,
  h2        INTEGER NOT NULL,
  object_id INTEGER NOT NULL,
  PRIMARY KEY (h1, h2, object_id)
) STRICT, WITHOUT ROWID;

-- A commit's guard: the move inserts one row here whose `ok` is 1 only if every row it archived
-- is still in D1 at the seq it wrote; 0 fails the CHECK, which rolls the whole D1 batch back
-- (a change that slipped in between the object's write and the commit). Never holds a row.
CREATE TABLE archive_guard (ok INTEGER NOT NULL CHECK (ok = 1)) STRICT;
CREATE TRIGGER archive_guard_empty AFTER INSERT ON archive_guard BEGIN
  DELETE FROM archive_guard;
END;

-- Counts of the live (not deleted) events that moved to the archive, in event_counts' shape:
-- /api/stats adds them to event_counts so totals cover the whole history, not only the hot window.
-- Kept in the move's transaction; an expired object's counts (archive_objects.counts) come off again.
CREATE TABLE archive_counts (
  category        TEXT NOT NULL,
  severity        TEXT NOT NULL,
  status          TEXT NOT NULL,
  requires_action INTEGER NOT NULL,
  n               INTEGER NOT NULL,
  PRIMARY KEY (category, severity, status, requires_action)
) STRICT;
