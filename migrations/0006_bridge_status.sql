-- The latest liveness report of each bridge process (POST /internal/bridge/status), read by
-- GET /api/stats to say whether the pipeline flows (worker/pipeline.ts). One row per bridge
-- process; rows older than an hour and rows beyond the newest 64 are deleted at every report
-- (worker/db/bridge-status.ts), so the table stays a few rows long.
CREATE TABLE bridge_status (
  bridge_id   TEXT PRIMARY KEY NOT NULL,
  received_at INTEGER NOT NULL,  -- ms since epoch, the Worker's clock
  lag         INTEGER NOT NULL,  -- the report's known partition lags, summed
  lag_since   TEXT,              -- the report `at` (the bridge's clock) since which its lag has been > 0 without a break; NULL while 0
  report      TEXT NOT NULL      -- the report itself (protocol/bridge-status.ts), JSON
) STRICT;
CREATE INDEX bridge_status_received ON bridge_status (received_at);
