-- Rules that act (docs/rules.md): the rules and their versions, the runner's cursor per room, and
-- the effects a matched change records (deliveries and their attempts, escalation timers,
-- workflow steps, notifications). Effect ids are deterministic (<ruleId>:<eventId>:<seq>:<n>), so
-- recording a page of effects twice creates nothing twice.
CREATE TABLE rules (
  id          TEXT PRIMARY KEY NOT NULL,
  version     INTEGER NOT NULL,
  paused      INTEGER NOT NULL DEFAULT 0,
  doc         TEXT NOT NULL,      -- the RuleInput JSON (protocol/rules.ts)
  secret      TEXT NOT NULL,      -- the webhook signing key (whsec_…)
  created_at  INTEGER NOT NULL,   -- ms since epoch
  updated_at  INTEGER NOT NULL,
  updated_by  TEXT NOT NULL,
  deleted     INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE rule_versions (
  rule_id     TEXT NOT NULL,
  version     INTEGER NOT NULL,
  doc         TEXT NOT NULL,
  paused      INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  change      TEXT NOT NULL,      -- created | updated | paused | resumed | deleted
  PRIMARY KEY (rule_id, version)
) STRICT;

-- The highest seq of each room whose effects are recorded.
CREATE TABLE rule_cursors (
  category    TEXT PRIMARY KEY NOT NULL,
  seq         INTEGER NOT NULL
) STRICT;

CREATE TABLE webhook_deliveries (
  id              TEXT PRIMARY KEY NOT NULL,  -- the delivery id (quaycast-delivery header)
  rule_id         TEXT NOT NULL,
  action_index    INTEGER NOT NULL,
  category        TEXT NOT NULL,              -- whose runner delivers it
  event_id        TEXT NOT NULL,
  url             TEXT NOT NULL,
  body            TEXT NOT NULL,              -- the exact bytes every attempt sends
  state           TEXT NOT NULL,              -- pending | delivered | failed | disabled
  attempts        INTEGER NOT NULL DEFAULT 0, -- attempts since it was recorded or replayed
  next_attempt_at INTEGER,                    -- ms since epoch, while pending
  created_at      INTEGER NOT NULL,
  delivered_at    INTEGER,
  last_status     INTEGER,
  last_error      TEXT
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (category, next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_rule ON webhook_deliveries (rule_id, created_at DESC);

CREATE TABLE webhook_attempts (
  delivery_id     TEXT NOT NULL,
  n               INTEGER NOT NULL,           -- 1, 2, … over the delivery's whole life (replays continue)
  at              INTEGER NOT NULL,
  status          INTEGER,                    -- HTTP status; NULL when no answer
  latency_ms      INTEGER NOT NULL,
  error           TEXT,
  response        TEXT,                       -- the first 512 characters of the answer
  PRIMARY KEY (delivery_id, n)
) STRICT;

-- A webhook target answered 410: its deliveries stop until the rule is saved again.
CREATE TABLE webhook_targets (
  rule_id      TEXT NOT NULL,
  action_index INTEGER NOT NULL,
  disabled_at  INTEGER NOT NULL,
  reason       TEXT NOT NULL,
  PRIMARY KEY (rule_id, action_index)
) STRICT;

CREATE TABLE escalations (
  id           TEXT PRIMARY KEY NOT NULL,
  rule_id      TEXT NOT NULL,
  category     TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  seq          INTEGER NOT NULL,             -- the change that started it
  due_at       INTEGER NOT NULL,
  unless_state TEXT NOT NULL,                -- acknowledged | resolved
  action       TEXT NOT NULL,                -- the escalate action's JSON
  state        TEXT NOT NULL,                -- scheduled | fired | cancelled
  settled_at   INTEGER
) STRICT;
CREATE INDEX escalations_due ON escalations (category, due_at) WHERE state = 'scheduled';
CREATE INDEX escalations_event ON escalations (event_id) WHERE state = 'scheduled';

-- Workflow steps (createEvent, assign, setStatus) recorded with the cursor, carried out after it.
CREATE TABLE rule_steps (
  id          TEXT PRIMARY KEY NOT NULL,
  category    TEXT NOT NULL,
  rule_id     TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  seq         INTEGER NOT NULL,              -- the event's seq the step applies to (expectedSeq)
  action      TEXT NOT NULL,                 -- the step action's JSON
  created_at  INTEGER NOT NULL,
  done_at     INTEGER,
  outcome     TEXT                           -- done | conflict | skipped: why
) STRICT;
CREATE INDEX rule_steps_pending ON rule_steps (category, created_at) WHERE done_at IS NULL;

-- In-app notifications, to one user (recipient 'user:<sub>') or to a role and those above it
-- ('role:<role>'); read state per user in notification_reads (a role's notification is read by each).
CREATE TABLE notifications (
  id          TEXT PRIMARY KEY NOT NULL,
  recipient   TEXT NOT NULL,
  rule_id     TEXT,                          -- NULL for built-in ones (assigned to you)
  event_id    TEXT NOT NULL,
  category    TEXT NOT NULL,
  severity    TEXT NOT NULL,
  title       TEXT NOT NULL,
  kind        TEXT NOT NULL,                 -- rule | assigned | escalation
  created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX notifications_recipient ON notifications (recipient, created_at DESC);

CREATE TABLE notification_reads (
  notification_id TEXT NOT NULL,
  user_sub        TEXT NOT NULL,
  read_at         INTEGER NOT NULL,
  PRIMARY KEY (notification_id, user_sub)
) STRICT;
