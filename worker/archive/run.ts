/**
 * The archive's scheduled work (the cron trigger, and POST /internal/archive for operators and
 * tests): one bounded run of moves and expiry, logged as one JSON line.
 */
import { getConfig } from '../config.ts';
import { createDb } from '../db/client.ts';
import { errorFields, log, setLogLevel } from '../log.ts';
import { runMoves, type ArchiveReport, type FaultPoint, type MoveOptions } from './mover.ts';

export type ArchiveRunOptions = Partial<Pick<MoveOptions, 'maxMoves' | 'maxRows' | 'budgetMs'>> & {
  now: number;
  fault?: FaultPoint;
  /** What started it, for the log line (`cron` or `api`). */
  trigger: string;
};

export async function runArchive(env: Env, bucket: R2Bucket, options: ArchiveRunOptions): Promise<ArchiveReport> {
  const config = getConfig(env);
  setLogLevel(config.logLevel);
  try {
    const report = await runMoves(createDb(env.DB), bucket, {
      ...options,
      hotDays: config.archive.hotDays,
      retentionDays: config.archive.retentionDays,
    });
    log(
      report.more ? 'warn' : 'info',
      report.more ? 'archive behind: movable changes remain for the next run' : 'archive',
      { trigger: options.trigger, hotDays: config.archive.hotDays, ...report },
    );
    return report;
  } catch (err) {
    log('error', 'archive run failed', { trigger: options.trigger, ...errorFields(err) });
    throw err;
  }
}
