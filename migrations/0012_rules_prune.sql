-- The cron prunes what rules left behind once it is RULES_KEEP_DAYS old (worker/rules/prune.ts,
-- docs/rules.md "Keeping"): these indexes let each run find the oldest settled rows without a scan.
-- (0010 and 0011 are taken by work in progress on other branches.)
CREATE INDEX notifications_created ON notifications (created_at);
CREATE INDEX webhook_deliveries_settled ON webhook_deliveries (created_at) WHERE state <> 'pending';
CREATE INDEX escalations_settled ON escalations (settled_at) WHERE state <> 'scheduled';
CREATE INDEX rule_steps_done ON rule_steps (done_at) WHERE done_at IS NOT NULL;
