-- DCSA TNT 2.2 event subscriptions (docs/dcsa.md, "Subscriptions"; worker/db/dcsa-subscriptions.ts).
-- `filters` is the JSON of the subscription body without callbackUrl and secret; `secret` is the
-- base64 shared secret as the subscriber gave it (it keys the Notification-Signature HMAC).
-- Callbacks are webhook_deliveries rows with rule_id 'dcsa:<id>' and action_index 0: the rule
-- runner records, attempts, retries and prunes them like rules' webhooks.
-- (0015 is taken by the GET /v2/events index, built beside this.)
CREATE TABLE dcsa_subscriptions (
  id TEXT PRIMARY KEY,
  callback_url TEXT NOT NULL,
  filters TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX dcsa_subscriptions_created ON dcsa_subscriptions (created_at, id);
