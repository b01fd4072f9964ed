/**
 * The cron's pruning of what rules leave behind (docs/rules.md, "Keeping"): notifications,
 * deliveries no longer pending with their attempts, settled escalations and carried-out steps
 * older than RULES_KEEP_DAYS, in bounded batches, whatever the storage mode (archive or retention).
 */
import { getConfig } from '../config.ts';
import { createDb } from '../db/client.ts';
import { pruneRuleRecords, type RulePruneReport } from '../db/rules.ts';
import { errorFields, log } from '../log.ts';

const DAY_MS = 86_400_000;
/** Rows a table loses at most per run (every 15 minutes: 48,000 a day a table). */
export const PRUNE_MAX_ROWS = 500;

export async function runRulePrune(env: Env, now: number): Promise<RulePruneReport | undefined> {
  const { keepDays } = getConfig(env).rules;
  try {
    const report = await pruneRuleRecords(createDb(env.DB), now - keepDays * DAY_MS, PRUNE_MAX_ROWS);
    const deleted = report.notifications + report.deliveries + report.escalations + report.steps;
    if (deleted > 0 || report.more)
      log(
        report.more ? 'warn' : 'info',
        report.more ? 'rules prune behind: old rows remain for the next run' : 'rules prune',
        {
          keepDays,
          ...report,
        },
      );
    return report;
  } catch (err) {
    // Pruning is housekeeping: a failure is logged and the next run tries again.
    log('error', 'rules prune failed', { keepDays, ...errorFields(err) });
    return undefined;
  }
}
