/**
 * The cron's pruning of the open-event counts (migrations/0014_insight_open.sql): rows of
 * insight_open and insight_open_day whose events were all settled count nothing and would
 * otherwise stay forever (about 175,000 hour rows a year at 5 categories × 4 severities).
 * Housekeeping: bounded per run, logged, never throws.
 */
import { createDb } from './db/client.ts';
import { pruneEmptyOpenCounts } from './db/insight.ts';
import { errorFields, log } from './log.ts';

/** Rows a table loses at most per run (every 15 minutes). */
export const OPEN_PRUNE_MAX_ROWS = 2000;

export async function runInsightPrune(env: Env): Promise<{ deleted: number; more: boolean } | undefined> {
  try {
    const report = await pruneEmptyOpenCounts(createDb(env.DB), OPEN_PRUNE_MAX_ROWS);
    if (report.more) log('warn', 'insight prune behind: empty open counts remain for the next run', report);
    else if (report.deleted > 0) log('info', 'insight prune', report);
    return report;
  } catch (err) {
    log('error', 'insight prune failed', errorFields(err));
    return undefined;
  }
}
