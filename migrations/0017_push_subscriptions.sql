-- Web Push subscriptions (docs/push.md; worker/db/push.ts): one row per browser PushSubscription
-- of a signed-in user. `role` is the user's role when they subscribed: a notification to
-- `role:<r>` is pushed to the subscriptions of that role and the roles above it, as the inbox
-- reads it. A row is deleted when the push service answers 404/410 (the subscription is gone);
-- `failures` counts other failed sends since the last success.
-- (0015 and 0016 are other work's.)
CREATE TABLE push_subscriptions (
  endpoint TEXT PRIMARY KEY,
  user_sub TEXT NOT NULL,
  role TEXT NOT NULL,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_success_at INTEGER,
  failures INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_sub, created_at);
CREATE INDEX push_subscriptions_role ON push_subscriptions (role);
