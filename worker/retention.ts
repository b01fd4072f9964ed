/**
 * Retention: the cron trigger deletes events received more than RETENTION_DAYS ago, together
 * with their workflow history, outbox row and read state. Work is bounded twice: each
 * transaction takes at most `batchRows` events, and a run stops after `maxBatches` transactions
 * or `budgetMs`, whichever comes first; the next run goes on where this one stopped.
 *
 * Changefeed semantics (DESIGN.md, "Rooms"): a tombstone is kept until its *delete* is older
 * than the retention (`updated_at`), so a client that resumes within the window still learns of
 * every delete. An expired event leaves no tombstone — expiry is not a change — so a client that
 * resumes from a cursor older than the window keeps rows the server no longer has until it
 * reloads (docs/limits.md). Deletes go straight to D1 (worker/db/retention.ts), not through the rooms: they assign no
 * seq, and a room's seq counter lives in its own storage, so it never moves backwards.
 */
import { getConfig } from './config.ts';
import { createDb } from './db/client.ts';
import { purgeExpired, type RetentionReport } from './db/retention.ts';
import { errorFields, log, setLogLevel } from './log.ts';

/** The cron trigger's work: one bounded retention run, logged as one JSON line. */
export async function runRetention(
  env: Env,
  controller: Pick<ScheduledController, 'scheduledTime' | 'cron'>,
): Promise<RetentionReport> {
  const config = getConfig(env);
  setLogLevel(config.logLevel);
  if ('error' in config.retention) {
    log('error', 'retention not run: bad configuration', {
      cron: controller.cron,
      errorMessage: config.retention.error,
    });
    throw new Error(config.retention.error);
  }
  try {
    const report = await purgeExpired(createDb(env.DB), {
      now: controller.scheduledTime,
      retentionDays: config.retention.days,
    });
    log(
      report.more ? 'warn' : 'info',
      report.more ? 'retention behind: expired events remain for the next run' : 'retention',
      { cron: controller.cron, ...report },
    );
    return report;
  } catch (err) {
    log('error', 'retention failed', { cron: controller.cron, ...errorFields(err) });
    throw err; // the cron run shows as failed in the dashboard and in `wrangler tail`
  }
}
