/**
 * The bridges' liveness reports in D1 (migrations/0006_bridge_status.sql): the latest report of
 * each bridge process, bounded in age and in count at every write.
 */
import { desc } from 'drizzle-orm';
import type { BridgeStatus } from '../../protocol/bridge-status.ts';
import { BridgeStatusSchema } from '../../protocol/schemas/bridge-status.ts';
import type { Db } from './client.ts';
import { bridgeStatus } from './schema.ts';

/**
 * A report is kept this long after it arrived: long enough to say which bridge went quiet, short
 * enough that restarts (each process reports under a new id) do not pile up.
 */
export const BRIDGE_STATUS_TTL_MS = 3_600_000;
/** Most bridge processes kept (the newest reports win). */
export const MAX_BRIDGE_STATUSES = 64;

/** A bridge's latest report as stored: when the Worker received it, and since when its lag has been > 0. */
export type StoredBridgeStatus = {
  report: BridgeStatus;
  /** ms since epoch, the Worker's clock. */
  receivedAt: number;
  /** The `at` of the first report (the bridge's clock) of the current run of reports with lag > 0; null while the lag is 0. */
  lagSince: string | null;
};

/** The known lags of a report's partitions, summed (unknown ones count nothing). */
export function reportLag(report: BridgeStatus): number {
  return report.partitions.reduce((n, p) => n + (p.lag ?? 0), 0);
}

/**
 * Stores a bridge's report as its latest, keeping when its lag became > 0 (the start of a run of
 * reports with lag), and drops reports older than BRIDGE_STATUS_TTL_MS and beyond the newest
 * MAX_BRIDGE_STATUSES, in one D1 transaction.
 */
export async function saveBridgeStatus(db: Db, report: BridgeStatus, receivedAt: number): Promise<void> {
  const d1 = db.$client;
  await d1.batch([
    d1
      .prepare(
        `INSERT INTO bridge_status (bridge_id, received_at, lag, lag_since, report) VALUES (?1, ?2, ?3, CASE WHEN ?3 > 0 THEN ?4 END, ?5)
         ON CONFLICT (bridge_id) DO UPDATE SET received_at = excluded.received_at, lag = excluded.lag, report = excluded.report,
           lag_since = CASE WHEN excluded.lag > 0 THEN COALESCE(bridge_status.lag_since, excluded.lag_since) END`,
      )
      .bind(report.bridgeId, receivedAt, reportLag(report), report.at, JSON.stringify(report)),
    d1.prepare('DELETE FROM bridge_status WHERE received_at < ?1').bind(receivedAt - BRIDGE_STATUS_TTL_MS),
    d1
      .prepare(
        'DELETE FROM bridge_status WHERE bridge_id NOT IN (SELECT bridge_id FROM bridge_status ORDER BY received_at DESC LIMIT ?1)',
      )
      .bind(MAX_BRIDGE_STATUSES),
  ]);
}

/** The stored reports, newest first (at most MAX_BRIDGE_STATUSES rows: the table is never bigger). */
export async function bridgeStatuses(db: Db): Promise<StoredBridgeStatus[]> {
  const rows = await db.select().from(bridgeStatus).orderBy(desc(bridgeStatus.receivedAt)).limit(MAX_BRIDGE_STATUSES);
  const out: StoredBridgeStatus[] = [];
  for (const row of rows) {
    // Validated when written; a row an older Worker wrote in another shape is skipped, not fatal.
    let raw: unknown;
    try {
      raw = JSON.parse(row.report);
    } catch {
      continue;
    }
    const parsed = BridgeStatusSchema.safeParse(raw);
    if (parsed.success) out.push({ report: parsed.data, receivedAt: row.receivedAt, lagSince: row.lagSince });
  }
  return out;
}
