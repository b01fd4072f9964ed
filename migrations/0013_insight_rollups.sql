-- Compact response-time rollups for the /api/insight routes (docs/insight.md, "Rollups"). The
-- hourly insight_response of 0010 is keyed by every dimension at once, so it barely aggregates
-- (about one row per response at 1,000,000 events) and a 30-day query read all of it. These
-- tables hold one dimension at a time, by UTC day, and one lean hourly table for shifts; a query
-- reads whole days from them and only its partial first and last day from insight_response.
--
-- They are projections of insight_response, kept by its own triggers (it is written only by the
-- upserts of 0010's insight_ack / insight_resolve, in the transaction of the history entry), so
-- the met / target logic stays in one place. Buckets are coarse: coarse 0 = fine bucket 0
-- ([0, 1 s)), coarse c >= 1 = fine buckets 5c-4 .. 5c, i.e. [1 s * 1.05^(5c-5), 1 s * 1.05^(5c));
-- (bucket + 4) / 5 maps a fine bucket onto it exactly, so hourly edges and days merge.
-- Like 0010's rollups they are history: nothing decrements them.

-- Per dimension (category, severity, eventType, assignee) and UTC day (hour / 24). scope '*' =
-- all categories; scope = a category for severity, eventType and assignee, for a viewer who sees
-- only some categories (a category's own row is its scope already).
CREATE TABLE insight_response_day (
  dim      TEXT NOT NULL,
  scope    TEXT NOT NULL,
  day      INTEGER NOT NULL,
  kind     INTEGER NOT NULL,
  key      TEXT NOT NULL,
  bucket   INTEGER NOT NULL,
  n        INTEGER NOT NULL,
  sum_ms   INTEGER NOT NULL,
  met      INTEGER NOT NULL,
  PRIMARY KEY (dim, scope, day, kind, key, bucket)
) STRICT, WITHOUT ROWID;

-- Per UTC hour without dimensions, for shifts (the hour maps to a shift at query time, in the
-- zone asked for). scope as above.
CREATE TABLE insight_response_hour (
  scope  TEXT NOT NULL,
  hour   INTEGER NOT NULL,
  kind   INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  n      INTEGER NOT NULL,
  sum_ms INTEGER NOT NULL,
  met    INTEGER NOT NULL,
  PRIMARY KEY (scope, hour, kind, bucket)
) STRICT, WITHOUT ROWID;

-- A deployed database keeps its history: both filled from insight_response as it stands.
-- (VALUES lists, not UNION ALL: D1 refuses a 7-term UNION ALL, "too many terms in compound
-- SELECT"; 0010's 5 terms pass. In a trigger they are named through a WITH: there SQLite gives
-- the VALUES columns that hold new.x no name a SELECT can use.)
INSERT INTO insight_response_day (dim, scope, day, kind, key, bucket, n, sum_ms, met)
SELECT d.column1, CASE d.column2 WHEN 1 THEN r.category ELSE '*' END, r.hour / 24, r.kind,
  CASE d.column1 WHEN 'category' THEN r.category WHEN 'severity' THEN r.severity WHEN 'eventType' THEN r.event_type
    ELSE r.assignee END,
  (r.bucket + 4) / 5, SUM(r.n), SUM(r.sum_ms), SUM(r.met)
FROM insight_response r CROSS JOIN (VALUES ('category', 0), ('severity', 0), ('severity', 1), ('eventType', 0),
  ('eventType', 1), ('assignee', 0), ('assignee', 1)) d
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO insight_response_hour (scope, hour, kind, bucket, n, sum_ms, met)
SELECT scope, hour, kind, (bucket + 4) / 5, SUM(n), SUM(sum_ms), SUM(met) FROM (
  SELECT '*' AS scope, hour, kind, bucket, n, sum_ms, met FROM insight_response
  UNION ALL SELECT category, hour, kind, bucket, n, sum_ms, met FROM insight_response
) GROUP BY scope, hour, kind, (bucket + 4) / 5;

-- A response lands in insight_response as a new row (INSERT) or as an increment of one (the
-- upsert's DO UPDATE): both carry the same change on, the second as the difference.
CREATE TRIGGER insight_response_added AFTER INSERT ON insight_response BEGIN
  INSERT INTO insight_response_day (dim, scope, day, kind, key, bucket, n, sum_ms, met)
  SELECT d.dim, d.scope, new.hour / 24, new.kind, d.key, (new.bucket + 4) / 5, new.n, new.sum_ms, new.met FROM (
    WITH v (dim, scope, key) AS (VALUES ('category', '*', new.category),
    ('severity', '*', new.severity), ('severity', new.category, new.severity),
    ('eventType', '*', new.event_type), ('eventType', new.category, new.event_type),
    ('assignee', '*', new.assignee), ('assignee', new.category, new.assignee)) SELECT * FROM v
  ) d WHERE true
  ON CONFLICT (dim, scope, day, kind, key, bucket)
  DO UPDATE SET n = n + excluded.n, sum_ms = sum_ms + excluded.sum_ms, met = met + excluded.met;
  INSERT INTO insight_response_hour (scope, hour, kind, bucket, n, sum_ms, met)
  SELECT s.scope, new.hour, new.kind, (new.bucket + 4) / 5, new.n, new.sum_ms, new.met
  FROM (WITH v (scope) AS (VALUES ('*'), (new.category)) SELECT * FROM v) s WHERE true
  ON CONFLICT (scope, hour, kind, bucket)
  DO UPDATE SET n = n + excluded.n, sum_ms = sum_ms + excluded.sum_ms, met = met + excluded.met;
END;

CREATE TRIGGER insight_response_counted AFTER UPDATE ON insight_response BEGIN
  INSERT INTO insight_response_day (dim, scope, day, kind, key, bucket, n, sum_ms, met)
  SELECT d.dim, d.scope, new.hour / 24, new.kind, d.key, (new.bucket + 4) / 5,
    new.n - old.n, new.sum_ms - old.sum_ms, new.met - old.met FROM (
    WITH v (dim, scope, key) AS (VALUES ('category', '*', new.category),
    ('severity', '*', new.severity), ('severity', new.category, new.severity),
    ('eventType', '*', new.event_type), ('eventType', new.category, new.event_type),
    ('assignee', '*', new.assignee), ('assignee', new.category, new.assignee)) SELECT * FROM v
  ) d WHERE true
  ON CONFLICT (dim, scope, day, kind, key, bucket)
  DO UPDATE SET n = n + excluded.n, sum_ms = sum_ms + excluded.sum_ms, met = met + excluded.met;
  INSERT INTO insight_response_hour (scope, hour, kind, bucket, n, sum_ms, met)
  SELECT s.scope, new.hour, new.kind, (new.bucket + 4) / 5, new.n - old.n, new.sum_ms - old.sum_ms, new.met - old.met
  FROM (WITH v (scope) AS (VALUES ('*'), (new.category)) SELECT * FROM v) s WHERE true
  ON CONFLICT (scope, hour, kind, bucket)
  DO UPDATE SET n = n + excluded.n, sum_ms = sum_ms + excluded.sum_ms, met = met + excluded.met;
END;
