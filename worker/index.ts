/**
 * The Quaycast Worker entry: the Hono app's fetch handler and the Durable Object classes.
 * (The main module may export only handlers and classes.)
 */
import { app } from './app.ts';
import { runArchive } from './archive/run.ts';
import { runInsightPrune } from './insight-prune.ts';
import { runRetention } from './retention.ts';
import { runRulePrune } from './rules/prune.ts';

export { Room } from './room/room.ts';
export { RateLimiter } from './limiter/rate-limiter.ts';
export { OutboxBell } from './outbox/bell.ts';
export { RuleRunner } from './rules/runner.ts';
export { Inbox } from './rules/inbox.ts';

export default {
  fetch: app.fetch,
  /**
   * The cron trigger (wrangler.toml [env.X.triggers]): with the ARCHIVE bucket bound, the move of
   * changes older than HOT_DAYS to it and its expiry (worker/archive/); without, retention. Then,
   * either way, the pruning of old rule records (worker/rules/prune.ts) and of open-event counts
   * that count nothing any more (worker/insight-prune.ts).
   */
  async scheduled(controller, env) {
    const bucket = (env as Partial<Env>).ARCHIVE;
    try {
      if (bucket) await runArchive(env, bucket, { now: controller.scheduledTime, trigger: controller.cron });
      else await runRetention(env, controller);
    } finally {
      await runRulePrune(env, controller.scheduledTime); // never throws: housekeeping, logged
      await runInsightPrune(env); // never throws either
    }
  },
} satisfies ExportedHandler<Env>;
